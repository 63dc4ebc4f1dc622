"""feature_store=feast (issue 12): the feature repo, materialisation and lookups by customer id,
Feast only in the feast variants, and the cloud's online store in the infrastructure."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

FEAST = {"feature_store": "feast"}


def _render(tmp_path: Path, **answers: object) -> Path:
    return create_project(tmp_path / "p", {**FEAST, **answers}).destination


def _dependencies(project: Path, service: str) -> list[str]:
    path = project / "services" / service / "pyproject.toml"
    return tomllib.loads(path.read_text())["project"]["dependencies"]


def test_feast_renders_clean(tmp_path: Path) -> None:
    project = _render(tmp_path)
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


@pytest.mark.parametrize("api_style", ["graphql", "grpc"])
def test_feast_refuses_the_api_styles_without_lookups_by_id(tmp_path: Path, api_style: str) -> None:
    with pytest.raises(ScaffoldError, match="feature_store=feast needs api_style=rest"):
        _render(tmp_path, api_style=api_style)


@pytest.mark.parametrize(
    "answers",
    [
        {"cloud": "gcp", "deploy_target": "containers"},
        {"cloud": "azure", "deploy_target": "containers"},
        {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
    ],
    ids=["cloud-run", "container-apps", "cloudformation-ecs"],
)
def test_feast_refuses_the_managed_containers_without_a_materialise_job(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    with pytest.raises(ScaffoldError, match="use deploy_target=kubernetes"):
        _render(tmp_path, **answers)


def test_feast_is_installed_with_features_and_serving_only(tmp_path: Path) -> None:
    project = _render(tmp_path)
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


@pytest.mark.parametrize(
    ("answers", "client", "online_store"),
    [
        ({"cloud": "aws"}, "feast[aws]", "infra/terraform/modules/feature_store/main.tf"),
        (
            {"cloud": "aws", "iac": "cloudformation"},
            "feast[aws]",
            "infra/cloudformation/feature-store.yaml",
        ),
        ({"cloud": "gcp"}, "feast[gcp]", "infra/terraform/envs/prod/main.tf"),
        ({"cloud": "azure"}, "feast[redis]", "infra/terraform/envs/prod/main.tf"),
    ],
    ids=["aws-terraform", "aws-cloudformation", "gcp", "azure"],
)
def test_each_cloud_gets_its_online_store_and_its_client(
    tmp_path: Path, answers: dict[str, str], client: str, online_store: str
) -> None:
    project = _render(tmp_path, **answers)
    assert any(dep.startswith(client) for dep in _dependencies(project, "serving"))
    resource = {
        "aws": "dynamodb",
        "gcp": 'resource "google_firestore_database" "feature_store"',
        "azure": 'resource "azurerm_redis_cache" "feature_store"',
    }[answers["cloud"]]
    assert resource.lower() in (project / online_store).read_text().lower()
    store = project / "packages/contracts/src/contracts/feature_repo/prod.yaml"
    assert "${" in store.read_text(), "the store's settings come from the environment"


def test_feast_project_materialises_and_serves_by_customer_id(tmp_path: Path) -> None:
    """The generated project's own feature-store tests: feast apply, materialisation, online
    lookup, prediction by id equal to prediction by features, erasure from the online store."""
    require("uv")
    project = _render(tmp_path)
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


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_kubernetes_serves_by_id_and_materialises_with_the_features_identity(
    tmp_path: Path, cloud: str
) -> None:
    project = _render(tmp_path, cloud=cloud, deploy_target="kubernetes")
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


def _hcl(path: Path) -> dict[str, Any]:
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)  # type: ignore[no-any-return]


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not k.startswith("__")}
    return value


def _policy_actions(module: Path) -> dict[str, set[str]]:
    """Actions of each policy document of the AWS feature_store module (read, write)."""
    found: dict[str, set[str]] = {}
    for entry in _unquote(_hcl(module / "main.tf")).get("data", []):
        for name, body in entry.get("aws_iam_policy_document", {}).items():
            found[name] = {a for s in body["statement"] for a in s["actions"]}
    return found


def test_ecs_runs_the_materialise_job_and_serving_only_reads_the_store(tmp_path: Path) -> None:
    project = _render(tmp_path, cloud="aws", deploy_target="containers")
    terraform = project / "infra/terraform"
    for env_name in ("dev", "prod"):
        modules = _unquote(_hcl(terraform / f"envs/{env_name}/main.tf"))["module"]
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
