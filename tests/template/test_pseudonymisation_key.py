"""The pseudonymisation key in production, tried as an attacker holding another workload's identity.

A deployed features job stops without APP_PSEUDONYMISATION_KEY, and whoever reads the key can
re-identify every pseudonym. So on every cloud and runtime the rendered infrastructure must
(1) generate the key in the secret manager without its value landing in code or state,
(2) hand it to the features job from there, and (3) let no other workload identity read it.
Render-only: Terraform is parsed with python-hcl2, CloudFormation and Kubernetes as YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is needed to parse Terraform")

VARIABLE = "APP_PSEUDONYMISATION_KEY"
K8S_SECRET = "features-pseudonymisation-key"  # noqa: S105 (a Kubernetes Secret name, not a value)
_RENDERED: dict[tuple[str, str, str], Path] = {}


def _render(
    tmp_path_factory: pytest.TempPathFactory, cloud: str, iac: str, deploy_target: str
) -> Path:
    key = (cloud, iac, deploy_target)
    if key not in _RENDERED:
        answers = {"cloud": cloud, "iac": iac, "deploy_target": deploy_target}
        target = tmp_path_factory.mktemp("-".join(key)) / "p"
        _RENDERED[key] = create_project(target, answers).destination
    return _RENDERED[key]


def _module(main: dict[str, Any], name: str) -> dict[str, Any]:
    return next(block[f'"{name}"'] for block in main["module"] if f'"{name}"' in block)


def _resources(parsed: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in parsed.get("resource", []):
        for name, body in entry.get(f'"{type_}"', {}).items():
            found[name.strip('"')] = body
    return found


def _ephemeral_password(parsed: dict[str, Any]) -> dict[str, Any]:
    [entry] = parsed["ephemeral"]
    [body] = entry['"random_password"'].values()
    return dict(body)


def _assert_generated_write_only(module: Path, resource: str, argument: str) -> None:
    """The value comes from an ephemeral random password through a write-only argument."""
    parsed = hcl2.load((module / "main.tf").open())
    password = _ephemeral_password(parsed)
    assert password["length"] >= 32 and password["special"] is False
    [version] = _resources(parsed, resource).values()
    assert "ephemeral.random_password." in version[f"{argument}_wo"]
    assert argument not in version, "a plain value argument would store the key in state"
    assert version[f"{argument}_wo_version"] == 1, "written once, never rotated by a plan"


# ---------------------------------------------------------------- Kubernetes (every cloud)
def _documents(root: Path) -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(root.rglob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if isinstance(document, dict)
    ]


def _pod(document: dict[str, Any]) -> dict[str, Any]:
    spec = document["spec"]
    template = (spec["jobTemplate"]["spec"] if document["kind"] == "CronJob" else spec)["template"]
    return dict(template["spec"])


def _secrets_used(pod: dict[str, Any]) -> set[str]:
    names = {
        volume["secret"]["secretName"] for volume in pod.get("volumes", []) if "secret" in volume
    }
    for container in pod["containers"]:
        for env in container.get("env", []):
            reference = env.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                names.add(reference["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_kubernetes_features_job_alone_gets_the_key_through_its_own_store(
    tmp_path_factory: pytest.TempPathFactory, cloud: str
) -> None:
    project = _render(tmp_path_factory, cloud, "terraform", "kubernetes")
    kubernetes = project / "deploy" / "kubernetes"
    documents = _documents(kubernetes / "base") + _documents(kubernetes / "components" / cloud)
    workloads = {
        document["metadata"]["name"]: _pod(document)
        for document in documents
        if document.get("kind") in ("CronJob", "Deployment")
    }
    features = workloads["features"]["containers"][0]
    [entry] = [env for env in features["env"] if env["name"] == VARIABLE]
    assert entry["valueFrom"]["secretKeyRef"] == {"name": K8S_SECRET, "key": "pseudonymisation-key"}
    # Attack: any other workload mounting or importing the synced Kubernetes secret.
    readers = sorted(name for name, pod in workloads.items() if K8S_SECRET in _secrets_used(pod))
    assert readers == ["features"]

    external = {
        document["metadata"]["name"]: document
        for document in documents
        if document.get("kind") == "ExternalSecret"
    }
    store_name = external[K8S_SECRET]["spec"]["secretStoreRef"]["name"]
    assert external[K8S_SECRET]["spec"]["target"]["name"] == K8S_SECRET
    stores = {
        document["metadata"]["name"]: document
        for document in documents
        if document.get("kind") == "ClusterSecretStore"
    }
    provider = next(iter(stores[store_name]["spec"]["provider"].values()))
    text = yaml.safe_dump(provider)
    # The store signs in to the secret manager as the features ServiceAccount, nothing else...
    assert re.findall(r"name: (\w+)", text) == ["features"], text
    # ...and is used for this one secret: serving's API key goes through serving's store.
    assert [
        name
        for name, doc in external.items()
        if doc["spec"]["secretStoreRef"]["name"] == store_name
    ] == [K8S_SECRET]
    assert "name: serving" in yaml.safe_dump(
        stores[external["serving-api-key"]["spec"]["secretStoreRef"]["name"]]["spec"]
    )

    for env in ("dev", "prod"):
        overlay = kubernetes / "overlays" / env
        params = (overlay / "params.env").read_text()
        assert re.search(r"^features_credential_name=\S+pseudonymisation-key$", params, re.M)
        replacements = yaml.safe_load((overlay / "kustomization.yaml").read_text())["replacements"]
        [copy] = [
            r for r in replacements if r["source"]["fieldPath"] == "data.features_credential_name"
        ]
        assert copy["targets"][0]["select"] == {"kind": "ExternalSecret", "name": K8S_SECRET}
    rollout = (project / "scripts" / "deploy" / "rollout.sh").read_text()
    assert "features_credential_name pseudonymisation_key_secret" in rollout
    assert "externalsecret/features-pseudonymisation-key" in rollout


# ---------------------------------------------------------------- AWS Terraform
@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_aws_terraform_generates_the_key_and_only_features_reads_it(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    infra = _render(tmp_path_factory, "aws", "terraform", deploy_target) / "infra" / "terraform"
    for env in ("dev", "prod"):
        main = hcl2.load((infra / "envs" / env / "main.tf").open())
        secrets = _module(main, "secrets")
        assert secrets["generated"] == ['"pseudonymisation_key"']
        # The workload identities (IRSA roles, ECS task roles) that may read each secret.
        readers = {
            service: [arn for arn in arns if "pseudonymisation_key" in arn]
            for service, arns in _module(main, "iam")["secret_arns"].items()
        }
        assert {service for service, arns in readers.items() if arns} == {"features"}
        if deploy_target == "containers":
            injected = _module(main, "ecs")["secret_env"]
            assert {service for service, env in injected.items() if VARIABLE in env} == {"features"}
            assert "pseudonymisation_key" in injected["features"][VARIABLE]
        outputs = (infra / "envs" / env / "outputs.tf").read_text()
        assert 'output "pseudonymisation_key_secret_arn"' in outputs
    _assert_generated_write_only(
        infra / "modules" / "secrets", "aws_secretsmanager_secret_version", "secret_string"
    )


# ---------------------------------------------------------------- AWS CloudFormation
@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_aws_cloudformation_generates_the_key_and_only_features_gets_it(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    cfn = _render(tmp_path_factory, "aws", "cloudformation", deploy_target) / "infra"
    cfn = cfn / "cloudformation"
    secret = yaml.safe_load((cfn / "secrets.yaml").read_text())["Resources"]["PseudonymisationKey"]
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in secret["Properties"]
    export = "pseudonymisation-key-secret-arn"
    iam = yaml.safe_load((cfn / "iam.yaml").read_text())["Resources"]
    # Attack: any role but the features one (and ECS's agent, which injects it) reading it.
    readers = sorted(name for name, resource in iam.items() if export in yaml.safe_dump(resource))
    if deploy_target == "kubernetes":
        assert readers == ["FeaturesRole"]
        return
    assert readers == ["TaskExecutionRole"], "task roles never read secrets themselves"
    compute = yaml.safe_load((cfn / "compute-ecs.yaml").read_text())["Resources"]
    holders = sorted(
        name
        for name, resource in compute.items()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
        and any(
            secret["Name"] == VARIABLE
            for container in resource["Properties"]["ContainerDefinitions"]
            for secret in container.get("Secrets", [])
        )
    )
    assert holders == ["FeaturesTaskDefinition"]


# ---------------------------------------------------------------- GCP
@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_gcp_generates_the_key_and_only_features_may_access_it(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    infra = _render(tmp_path_factory, "gcp", "terraform", deploy_target) / "infra" / "terraform"
    main = hcl2.load((infra / "envs" / "dev" / "main.tf").open())
    secrets = _module(main, "secrets")["secrets"]
    spec = secrets["pseudonymisation-key"]
    assert spec["generated"] is True
    assert spec["accessors"] == ['${module.iam.service_account_members["features"]}']
    assert all("features" not in str(other["accessors"]) for other in [secrets["api-key"]])
    _assert_generated_write_only(
        infra / "modules" / "secrets", "google_secret_manager_secret_version", "secret_data"
    )
    outputs = (infra / "envs" / "dev" / "outputs.tf").read_text()
    assert 'output "pseudonymisation_key_secret_id"' in outputs
    if deploy_target == "containers":
        run = (infra / "modules" / "cloud_run" / "main.tf").read_text()
        job = run[run.index('resource "google_cloud_run_v2_job" "batch"') :]
        assert (
            'for_each = each.key == "features" ? [var.pseudonymisation_key_secret_id] : []' in job
        )
        service = run[: run.index('resource "google_cloud_run_v2_job" "batch"')]
        assert VARIABLE not in service and "pseudonymisation" not in service


# ---------------------------------------------------------------- Azure
@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_azure_generates_the_key_and_only_features_holds_a_role_on_it(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    infra = _render(tmp_path_factory, "azure", "terraform", deploy_target) / "infra" / "terraform"
    main_tf = infra / "envs" / "dev" / "main.tf"
    main = hcl2.load(main_tf.open())
    locals_ = {key: value for block in main["locals"] for key, value in block.items()}
    assert "pseudonymisation-key" in locals_["runtime_secrets"]
    readers = {service: names for service, names in locals_["secret_readers"].items() if names}
    assert readers == {"serving": ['"api-key"'], "features": ['"pseudonymisation-key"']}
    secrets = _module(main, "secrets")
    assert secrets["runtime_secrets"] == "${local.runtime_secrets}"
    _assert_generated_write_only(infra / "modules" / "secrets", "azurerm_key_vault_secret", "value")
    # Attack: a vault-wide Secrets User role would let serving (or any reader) read every
    # secret; each assignment is scoped to one secret the service is listed for.
    iam = hcl2.load((infra / "modules" / "iam" / "main.tf").open())
    assignment = _resources(iam, "azurerm_role_assignment")["secrets"]
    assert assignment["scope"] == "${each.value.secret_id}"
    assert assignment["role_definition_name"] == '"Key Vault Secrets User"'
    text = main_tf.read_text()
    assert "secret_ids   = [for name in lookup(local.secret_readers, service, [])" in text
    if deploy_target == "containers":
        jobs = text[text.index("  jobs = merge({") :]
        assert (
            f'secrets = service == "features" ? {{ {VARIABLE} = '
            'module.secrets.runtime_secrets["pseudonymisation-key"].versionless_id } : {}'
        ) in jobs
        apps = text[text.index("  apps = merge({") : text.index("  jobs = merge({")]
        assert VARIABLE not in apps
