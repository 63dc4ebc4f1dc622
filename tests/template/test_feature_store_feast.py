"""feature_store=feast (issue 12): the feature repo, materialisation and lookups by customer id,
Feast only in the feast variants, and the cloud's online store in the infrastructure."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.template.infra import load_hcl
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

FEAST = {"feature_store": "feast"}


# The render-only tests below read their projects and never change them: each answer set is
# rendered once per worker (the group keeps the tests sharing one on the same worker). A test
# that changes its project (`uv sync`, a pipeline run) renders one of its own.
SHARED = pytest.mark.xdist_group("feast-renders")
Render = Callable[..., Path]


def _render(tmp_path: Path, **answers: object) -> Path:
    return create_project(tmp_path / "p", {**FEAST, **answers}).destination


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """``rendered(**answers)``: the feast project of those answers, rendered once per module."""
    projects: dict[tuple[tuple[str, object], ...], Path] = {}

    def render(**answers: object) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in projects:
            projects[key] = _render(tmp_path_factory.mktemp("feast"), **answers)
        return projects[key]

    return render


def _dependencies(project: Path, service: str) -> list[str]:
    path = project / "services" / service / "pyproject.toml"
    return tomllib.loads(path.read_text())["project"]["dependencies"]


@SHARED
def test_feast_renders_clean(rendered: Render) -> None:
    project = rendered()
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, FEAST)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(FEAST)}") from exc
    makefile = (project / "Makefile").read_text()
    assert "pipeline: ingest features materialize train drift" in makefile
    assert "\nfeast-apply:" in makefile and "\nmaterialize:" in makefile
    assert (project / "docs/adr/0022-feature-store.md").is_file()
    assert (project / "packages/contracts/src/contracts/feature_store.py").is_file()
    assert "customer_ids" in (project / "services/serving/openapi.json").read_text()


@SHARED
@pytest.mark.parametrize(
    ("api_style", "lookup"),
    [
        ("grpc", "async def PredictByCustomerIds("),
        ("graphql", "async def predict_by_customer_ids("),
    ],
)
def test_feast_serves_lookups_by_id_over_grpc_and_graphql(
    rendered: Render, api_style: str, lookup: str
) -> None:
    """Every API style scores customers given by id, through serving.online's one scorer."""
    answers = {**FEAST, "api_style": api_style}
    project = rendered(api_style=api_style)
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, answers)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc
    serving = project / "services/serving/src/serving"
    module = {"grpc": "grpc_server.py", "graphql": "graphql_api.py"}[api_style]
    adapter = (serving / module).read_text()
    assert lookup in adapter
    assert "from serving.online import" in adapter
    # One implementation: the store's failures are classified in serving.online only.
    assert "UnknownCustomerError" not in adapter
    assert "UnknownCustomerError" in (serving / "online.py").read_text()
    e2e = (project / "tests/e2e/test_feature_store.py").read_text()
    assert f"def test_{api_style}_scores_customer_ids_like_their_features(" in e2e
    assert "test_rest_scores" not in e2e
    adr = (project / "docs/adr/0022-feature-store.md").read_text()
    assert "PredictionRequest.customer_ids" in adr


@SHARED
def test_the_gke_gateway_counts_the_lookup_rpc_against_the_quota(rendered: Render) -> None:
    """Cloud Endpoints charges only the methods its metric rules name: the lookup rpc gets one,
    or a consumer could call it past the per-consumer quota."""
    answers = {"api_style": "grpc", "cloud": "gcp", "deploy_target": "kubernetes"}
    project = rendered(**answers, api_gateway="cloud")
    module = project / "infra/terraform/modules/endpoints/main.tf"
    assert 'for method in ["Predict", "PredictByCustomerIds"] : {' in module.read_text()


@SHARED
@pytest.mark.parametrize(
    "answers",
    [
        {"cloud": "gcp", "deploy_target": "containers"},
        {"cloud": "azure", "deploy_target": "containers"},
        {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
    ],
    ids=["cloud-run", "container-apps", "cloudformation-ecs"],
)
def test_feast_renders_on_every_managed_containers_target(
    rendered: Render, answers: dict[str, str]
) -> None:
    """No refusal left: each managed-containers target has its materialise job (tests below)."""
    project = rendered(**answers)
    assert_clean_output(project)
    assert "materialize" in (project / "scripts/deploy/cloud.sh").read_text()


@SHARED
def test_feast_is_installed_with_features_and_serving_only(rendered: Render) -> None:
    project = rendered()
    for service in ("features", "serving"):
        assert any(dep.startswith("feast") for dep in _dependencies(project, service)), service
    for service in ("ingestion", "training", "monitoring"):
        assert not any(dep.startswith("feast") for dep in _dependencies(project, service))
    contracts = tomllib.loads((project / "packages/contracts/pyproject.toml").read_text())
    assert not any(dep.startswith("feast") for dep in contracts["project"]["dependencies"])


def test_without_feast_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {}).destination
    assert_only_chosen_files(project, {})
    found = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and path.name != ".copier-answers.yml"  # records feature_store: none
        and any(word in path.read_text(errors="ignore") for word in ("feast", "Feast"))
    ]
    assert found == []
    assert "materialize" not in (project / "Makefile").read_text()


@SHARED
@pytest.mark.parametrize(
    ("answers", "client", "online_store"),
    [
        (
            {"cloud": "aws", "deploy_target": "kubernetes"},
            "feast[aws]",
            "infra/terraform/modules/feature_store/main.tf",
        ),
        (
            {"cloud": "aws", "iac": "cloudformation"},
            "feast[aws]",
            "infra/cloudformation/feature-store.yaml",
        ),
        (
            {"cloud": "gcp", "deploy_target": "kubernetes"},
            "feast[gcp]",
            "infra/terraform/envs/prod/main.tf",
        ),
        (
            {"cloud": "azure", "deploy_target": "kubernetes"},
            "feast[redis]",
            "infra/terraform/envs/prod/main.tf",
        ),
    ],
    ids=["aws-terraform", "aws-cloudformation", "gcp", "azure"],
)
def test_each_cloud_gets_its_online_store_and_its_client(
    rendered: Render, answers: dict[str, str], client: str, online_store: str
) -> None:
    project = rendered(**answers)
    assert any(dep.startswith(client) for dep in _dependencies(project, "serving"))
    resource = {
        "aws": "dynamodb",
        "gcp": 'resource "google_firestore_database" "feature_store"',
        "azure": 'resource "azurerm_redis_cache" "feature_store"',
    }[answers["cloud"]]
    assert resource.lower() in (project / online_store).read_text().lower()
    store = project / "packages/contracts/src/contracts/feature_repo/prod.yaml"
    assert "${" in store.read_text(), "the store's settings come from the environment"


@pytest.mark.parametrize(
    ("use_case", "api_style"),
    [
        ("churn", "rest"),
        ("churn", "grpc"),
        ("churn", "graphql"),
        ("clv", "rest"),
        ("clv", "grpc"),
        ("clv", "graphql"),
        ("segmentation", "rest"),
        ("segmentation", "grpc"),
        ("segmentation", "graphql"),
        ("pricing", "rest"),
        ("pricing", "grpc"),
        ("pricing", "graphql"),
    ],
)
def test_feast_project_materialises_and_serves_by_customer_id(
    tmp_path: Path, use_case: str, api_style: str
) -> None:
    """The generated project's own feature-store tests: feast apply, materialisation, online
    lookup, prediction by id equal to prediction by features, erasure from the online store,
    and the lookup through the API style's own adapter (unknown, stale, bounds, no key), for
    churn scores, lifetime values, segments and price quotes alike."""
    require("uv")
    project = _render(tmp_path, use_case=use_case, api_style=api_style)
    run(["uv", "sync"], cwd=project)
    result = run(
        [
            "uv",
            "run",
            "--no-sync",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-s",
            "tests/e2e/test_feature_store.py",
        ],
        cwd=project,
    )
    assert "3 passed" in result.stdout
    assert "feast lookup-and-score p50" in result.stdout


# ---------------------------------------------------------------- deployment
def _overlay(project: Path, tmp: Path, cidr: str) -> list[dict[str, Any]]:
    """The prod overlay as rollout.sh builds it, with the Terraform outputs filled in."""
    require("kubectl")
    copy = tmp / "kubernetes"
    shutil.copytree(project / "deploy/kubernetes", copy)
    params = copy / "overlays/prod/params.env"
    text = re.sub(
        r"^feature_store_cidr=.*$", f"feature_store_cidr={cidr}", params.read_text(), flags=re.M
    )
    params.write_text(text)
    built = subprocess.run(
        ["kubectl", "kustomize", str(copy / "overlays/prod")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(built) if doc]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present = expression["key"] in labels
        if (
            expression["operator"] == "In"
            and labels.get(expression["key"]) not in expression["values"]
        ):
            return False
        if expression["operator"] == "Exists" and not present:
            return False
    return True


def _egress_allowed(docs: list[dict[str, Any]], labels: dict[str, str], ip: str, port: int) -> bool:
    """Whether a NetworkPolicy selecting the pod allows TCP egress to ip:port (outside the
    namespace: pod selectors never match an address)."""
    for policy in (doc for doc in docs if doc["kind"] == "NetworkPolicy"):
        spec = policy["spec"]
        if "Egress" not in spec["policyTypes"] or not _selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("egress", []):
            ports = [entry["port"] for entry in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                if block is None:
                    continue
                address = ipaddress.ip_address(ip)
                if address in ipaddress.ip_network(block["cidr"]) and not any(
                    address in ipaddress.ip_network(cidr) for cidr in block.get("except", [])
                ):
                    return True
    return False


def _by_name(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name))


@SHARED
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_kubernetes_serves_by_id_and_materialises_with_the_features_identity(
    rendered: Render, tmp_path: Path, cloud: str
) -> None:
    project = rendered(cloud=cloud, deploy_target="kubernetes")
    redis_subnet = "10.20.4.0/24"
    docs = _overlay(project, tmp_path, redis_subnet)

    config = _by_name(docs, "ConfigMap", "app-config")["data"]
    assert config["APP_FEATURE_STORE_CONFIG"] == "prod"
    assert (project / "packages/contracts/src/contracts/feature_repo/prod.yaml").is_file()
    if cloud == "gcp":
        assert "GOOGLE_CLOUD_PROJECT" in config  # the Datastore project of prod.yaml

    serving = _by_name(docs, "Deployment", "serving")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in serving["containers"][0]["env"]}
    key = env["APP_PSEUDONYMISATION_KEY"]["valueFrom"]["secretKeyRef"]["name"]
    synced = _by_name(docs, "ExternalSecret", key)["spec"]
    # Through serving's own store (its identity), from the features job's secret entry.
    assert synced["secretStoreRef"]["name"] == "customer-churn-platform"  # not the features store
    assert synced["data"][0]["remoteRef"]["key"].endswith("prod-pseudonymisation-key")

    materialise = _by_name(docs, "CronJob", "materialize")
    pod = materialise["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "features"
    assert (
        pod["containers"][0]["image"].split("/")[-1].startswith("customer-churn-platform-features")
    )
    assert pod["containers"][0]["command"] == ["materialize-features"]
    features_at = _by_name(docs, "CronJob", "features")["spec"]["schedule"]
    assert materialise["spec"]["schedule"] > features_at, "materialise runs after the features job"

    serving_pod = {"app.kubernetes.io/name": "serving"}
    job_pod = {"app.kubernetes.io/name": "features", "app.kubernetes.io/component": "feature-store"}
    # The store is reachable; the plaintext Redis port and the metadata endpoint never are.
    for labels in (serving_pod, job_pod):
        assert not _egress_allowed(docs, labels, "10.20.4.5", 6379)
        assert not _egress_allowed(docs, labels, "169.254.169.254", 443)
    if cloud == "azure":
        assert "APP_FEATURE_STORE_REDIS" in env
        for labels in (serving_pod, job_pod):
            assert _egress_allowed(docs, labels, "10.20.4.5", 6380)
            assert not _egress_allowed(docs, labels, "10.99.0.5", 6380), "Redis port elsewhere"
    else:
        assert _egress_allowed(docs, serving_pod, "52.94.0.10", 443)  # the cloud's API


def _policy_actions(module: Path) -> dict[str, set[str]]:
    """Actions of each policy document of the AWS feature_store module (read, write)."""
    found: dict[str, set[str]] = {}
    for entry in load_hcl(module / "main.tf").get("data", []):
        for name, body in entry.get("aws_iam_policy_document", {}).items():
            found[name] = {a for s in body["statement"] for a in s["actions"]}
    return found


@SHARED
def test_ecs_runs_the_materialise_job_and_serving_only_reads_the_store(rendered: Render) -> None:
    project = rendered(cloud="aws", deploy_target="containers")
    terraform = project / "infra/terraform"
    for env_name in ("dev", "prod"):
        modules = load_hcl(terraform / f"envs/{env_name}/main.tf")["module"]
        ecs = next(m["ecs"] for m in modules if "ecs" in m)
        job = ecs["scheduled_commands"]["materialize"]
        assert job["service"] == "features" and job["command"] == ["materialize-features"]
        assert (
            "APP_FEATURE_STORE_CONFIG = var.environment"
            in (terraform / f"envs/{env_name}/main.tf").read_text()
        )
        assert "APP_PSEUDONYMISATION_KEY" in str(ecs["secret_env"])
        store = next(m["feature_store"] for m in modules if "feature_store" in m)
        assert list(store["reader_role_arns"]) == ["serving"]
        assert list(store["writer_role_arns"]) == ["features"]
    # The task runs the features image as the features role; a rollout updates its image.
    ecs_main = (terraform / "modules/ecs/main.tf").read_text()
    assert "var.task_role_arns[local.service_of[each.key]]" in ecs_main
    assert "var.repository_urls[local.service_of[each.key]]" in ecs_main
    # The image's ENTRYPOINT is build-features: the command must replace it, not follow it as
    # arguments (CMD), or the task would run `build-features materialize-features`.
    assert "entryPoint = try(var.scheduled_commands[each.key].command, null)" in ecs_main
    assert "command = try(var.scheduled_commands" not in ecs_main
    assert "json_value materialize" in (project / "scripts/deploy/cloud.sh").read_text()
    # The attack: serving's identity tries to write or delete online features. No action of
    # its policy allows it; only the features identity may write.
    actions = _policy_actions(terraform / "modules/feature_store")
    writes = {
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert not actions["read"] & writes and not any(a.endswith("*") for a in actions["read"])
    assert {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} <= actions["write"]


# ---------------------------------------------------------------- managed containers
def _resources(path: Path) -> dict[str, dict[str, Any]]:
    """type -> name -> body of every resource of a Terraform file."""
    found: dict[str, dict[str, Any]] = {}
    for entry in load_hcl(path).get("resource", []):
        for kind, named in entry.items():
            found.setdefault(kind, {}).update(named)
    return found


def _module(path: Path, name: str) -> dict[str, Any]:
    return next(m[name] for m in load_hcl(path)["module"] if name in m)


def _iam_grants(terraform: Path) -> list[tuple[str, str]]:
    """(role, member) of every google_*_iam_member of the rendered Terraform, for_each maps
    expanded (each.key / each.value substituted)."""
    grants: list[tuple[str, str]] = []
    for path in terraform.rglob("*.tf"):
        for kind, named in _resources(path).items():
            if not kind.endswith("_iam_member"):
                continue
            for body in named.values():
                role, member = str(body["role"]), str(body["member"])
                each = body.get("for_each")
                if isinstance(each, dict):
                    for key, value in each.items():
                        grants.append(
                            (
                                role.replace("${each.value}", str(value)),
                                member.replace("[each.key]", f'["{key}"]'),
                            )
                        )
                else:
                    grants.append((role, member))
    return grants


@SHARED
def test_cloud_run_runs_the_materialise_job_and_serving_only_reads_the_store(
    rendered: Render,
) -> None:
    project = rendered(cloud="gcp", deploy_target="containers")
    terraform = project / "infra/terraform"
    for env_name in ("dev", "prod"):
        cloud_run = _module(terraform / f"envs/{env_name}/main.tf", "cloud_run")
        job = cloud_run["scheduled_commands"]["materialize"]
        assert job["service"] == "features" and job["command"] == ["materialize-features"]
        assert re.fullmatch(r"\d+ \d+ \* \* \*", job["schedule"]), "a daily cron"
        assert (
            cloud_run["environment_variables"]["APP_FEATURE_STORE_CONFIG"] == "${var.environment}"
        )
        assert set(cloud_run["serving_secret_env"]) == {"APP_PSEUDONYMISATION_KEY"}
        assert (
            "cloudscheduler.googleapis.com" in (terraform / f"envs/{env_name}/main.tf").read_text()
        )

    module = terraform / "modules/cloud_run"
    resources = _resources(module / "main.tf")
    scheduled = resources["google_cloud_run_v2_job"]["scheduled"]
    task = scheduled["template"][0]["template"][0]
    # The features account, the command as the container's entry point, no secret at all.
    assert task["service_account"] == "${var.service_accounts[each.value.service]}"
    container = task["containers"][0]
    assert container["command"] == "${each.value.command}"
    assert "value_source" not in str(container), "the materialise job gets no secret"
    assert "volumes" not in task
    serving = resources["google_cloud_run_v2_service"]["serving"]["template"][0]["containers"][0]
    assert "var.serving_secret_env" in str(serving["dynamic"])
    main = (module / "main.tf").read_text()
    assert "GOOGLE_CLOUD_PROJECT = var.project_id" in main  # the Datastore project of prod.yaml
    # Cloud Scheduler starts it, as an identity that may run the scheduled jobs only.
    assert "google_cloud_run_v2_job.scheduled[job].name" in main
    assert resources["google_cloud_scheduler_job"]["added"]["for_each"] == "${local.schedules}"
    invoker = resources["google_cloud_run_v2_job_iam_member"]["scheduler"]
    assert invoker["for_each"] == "${local.schedules}" and invoker["role"] == "roles/run.invoker"
    deploy = (project / "scripts/deploy/cloud.sh").read_text()
    assert "json_value materialize" in deploy and 'image_ref "$registry" features' in deploy

    # The attack: serving's account tries to write the online store. Of every IAM grant in the
    # infrastructure, serving holds Datastore read only; the features account is the writer.
    grants = _iam_grants(terraform)
    serving_roles = {role for role, member in grants if '["serving"]' in member}
    assert "roles/datastore.viewer" in serving_roles
    writers = {"roles/datastore.user", "roles/datastore.owner", "roles/editor", "roles/owner"}
    assert not serving_roles & writers, serving_roles
    assert ("roles/datastore.user", 'module.iam.service_account_members["features"]') in {
        (role, member.strip("${}")) for role, member in grants
    }


@SHARED
def test_container_apps_run_the_materialise_job_with_the_redis_secret_from_key_vault(
    rendered: Render,
) -> None:
    project = rendered(cloud="azure", deploy_target="containers")
    terraform = project / "infra/terraform"
    for env_name in ("dev", "prod"):
        main = terraform / f"envs/{env_name}/main.tf"
        apps = _module(main, "container_apps")
        jobs = apps["jobs"]
        materialize = re.search(r"materialize = \{(.+?)\}\}", jobs)
        assert materialize, jobs
        spec = materialize.group(1)
        assert 'service_identities["features"]' in spec
        assert 'command = ["materialize-features"]' in spec
        assert 'cron_expression = var.job_schedules["materialize"]' in spec
        assert "APP_FEATURE_STORE_CONFIG = var.environment" in spec
        # Only the Redis connection string, from Key Vault; never the pseudonymisation key.
        assert "secrets = {APP_FEATURE_STORE_REDIS = azurerm_key_vault_secret" in spec
        assert "PSEUDONYMISATION" not in spec
        serving = re.search(r"serving = \{(.+?)\}\}", apps["apps"])
        assert serving, apps["apps"]
        for name in ("APP_PSEUDONYMISATION_KEY", "APP_FEATURE_STORE_REDIS"):
            assert re.search(
                name + r" = (module\.secrets|azurerm_key_vault_secret)\.", serving.group(1)
            )
        assert "APP_FEATURE_STORE_CONFIG = var.environment" in serving.group(1)
        # The attack: a batch identity other than features (or an added service) asks Key Vault
        # for the Redis connection string. Only serving and features may read that secret.
        iam = _module(main, "iam")["services"]
        readers = re.search(
            r"contains\(\[([^]]*)\], service\) \? \[azurerm_key_vault_secret\.feature_store_redis",
            iam,
        )
        assert readers, iam
        assert {name.strip(' "') for name in readers.group(1).split(",")} == {"serving", "features"}
    variables = (terraform / "envs/prod/variables.tf").read_text()
    schedule = re.search(r'materialize = "(\d+) (\d+) \* \* \*"', variables)
    features = re.search(r'features += "(\d+) (\d+) \* \* \*"', variables)
    assert schedule and features
    assert (int(schedule[2]), int(schedule[1])) > (int(features[2]), int(features[1]))
    module = (terraform / "modules/container_apps/main.tf").read_text()
    assert "command = each.value.command" in module
    # Container Apps read each Key Vault reference with the app's or job's own identity.
    assert module.count("identity            = each.value.identity_id") == 2
    redis = _resources(terraform / "envs/prod/main.tf")["azurerm_redis_cache"]["feature_store"]
    assert redis["public_network_access_enabled"] is False
    assert redis["non_ssl_port_enabled"] is False and redis["minimum_tls_version"] == "1.2"
    deploy = (project / "scripts/deploy/cloud.sh").read_text()
    assert '_azure_service_name "$names" materialize' in deploy
    # What Redis cannot scope (an access key reads and writes) is said, not hidden.
    adr = (project / "docs/adr/0022-feature-store.md").read_text()
    assert "cannot make serving read-only" in adr


def _cfn(project: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((project / "infra/cloudformation" / name).read_text())  # type: ignore[no-any-return]


def _role_statements(project: Path, role: str) -> list[dict[str, Any]]:
    """Every policy statement any CloudFormation template attaches to the workload role."""
    name = "${Project}-${Environment}-" + role
    statements: list[dict[str, Any]] = []
    for path in (project / "infra/cloudformation").glob("*.yaml"):
        for resource in (yaml.safe_load(path.read_text()).get("Resources") or {}).values():
            props = resource.get("Properties", {})
            role_name = props.get("RoleName")
            if not (isinstance(role_name, dict) and role_name.get("Fn::Sub") == name):
                continue
            if resource["Type"] == "AWS::IAM::RolePolicy":
                statements += props["PolicyDocument"]["Statement"]
            elif resource["Type"] == "AWS::IAM::Role":
                assert not props.get("ManagedPolicyArns"), f"{role} gets no managed policy"
                for policy in props.get("Policies", []):
                    statements += policy["PolicyDocument"]["Statement"]
    return statements


@SHARED
def test_cloudformation_ecs_runs_the_materialise_task_and_serving_only_reads_the_store(
    rendered: Render,
) -> None:
    project = rendered(cloud="aws", iac="cloudformation", deploy_target="containers")
    resources = _cfn(project, "compute-ecs.yaml")["Resources"]
    task = resources["MaterializeTaskDefinition"]["Properties"]
    assert task["TaskRoleArn"]["Fn::ImportValue"]["Fn::Sub"].endswith("-features-role-arn")
    container = task["ContainerDefinitions"][0]
    assert "-features:${ImageTag}" in container["Image"]["Fn::Sub"][0]
    # The image's ENTRYPOINT is build-features: replaced, not given as its arguments.
    assert container["EntryPoint"] == ["materialize-features"] and "Command" not in container
    assert "Secrets" not in container, "the materialise task gets no secret"
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["APP_FEATURE_STORE_CONFIG"] == {"Ref": "Environment"}
    schedule = resources["MaterializeSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "cron(30 3 * * ? *)"
    target = schedule["Target"]
    family = target["EcsParameters"]["TaskDefinitionArn"]["Fn::Sub"]
    assert family[0].endswith("task-definition/${Family}"), "the newest revision of the family"
    assert family[1]["Family"]["Fn::Sub"].endswith("-materialize")
    assert target["RoleArn"] == {"Fn::GetAtt": "MaterializeSchedulerRole.Arn"}
    scheduler = resources["MaterializeSchedulerRole"]["Properties"]["Policies"][0]
    run = next(s for s in scheduler["PolicyDocument"]["Statement"] if s["Action"] == "ecs:RunTask")
    assert run["Resource"]["Fn::Sub"][0].endswith("task-definition/${Family}:*")
    assert run["Resource"]["Fn::Sub"][1] == family[1], "runs that task only"
    serving = resources["ServingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert {"Name": "APP_FEATURE_STORE_CONFIG", "Value": {"Ref": "Environment"}} in serving[
        "Environment"
    ]
    assert "APP_PSEUDONYMISATION_KEY" in {s["Name"] for s in serving["Secrets"]}
    outputs = _cfn(project, "compute-ecs.yaml")["Outputs"]
    assert outputs["MaterializeTaskFamily"]["Value"]["Fn::Sub"].endswith("-materialize")
    assert 'pairs+=("materialize=' in (project / "scripts/deploy/infra.sh").read_text()
    assert "json_value materialize" in (project / "scripts/deploy/cloud.sh").read_text()

    # The attack: serving's task role tries to write or delete online features. Of every
    # statement any stack attaches to it, DynamoDB is read only (no wildcard either); the
    # features role is the writer.
    writes = {
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }

    def actions(role: str) -> set[str]:
        found: set[str] = set()
        for statement in _role_statements(project, role):
            value = statement["Action"]
            found |= {value} if isinstance(value, str) else set(value)
        return found

    serving_actions = actions("serving")
    assert "dynamodb:GetItem" in serving_actions
    assert not serving_actions & writes
    assert not any(a == "*" or a.startswith("dynamodb:*") for a in serving_actions)
    assert {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} <= actions("features")
