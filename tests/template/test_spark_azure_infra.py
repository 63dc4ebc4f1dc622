"""Issue 12, processing=spark on Azure: the features job as a one-time Azure Databricks run
(generated docs/adr/0024-managed-spark.md).

Renders Azure with Terraform on both deploy targets and reads the infrastructure with
python-hcl2: the workspace is premium, VNet-injected into its two dedicated subnets with no
public IP, reached through private endpoints only and encrypted with the project's Key Vault
key; the access connector's identity is replayed as requests against the lake through the iam
module's ABAC conditions (the features prefixes allowed, every other prefix and writes to the
raw zone refused) and holds nothing else; inside the workspace the runner may use one cluster
policy, one volume and one secret scope. checkov runs on one render as generated (it must pass)
and on the workspace module with public network access turned on (it must fail). The run script
(scripts/deploy/databricks_run.py) is driven against a fake Databricks REST API: what it
uploads and submits, that it waits at most its timeout and cancels, and that the key is named,
never passed. With orchestration=airflow, Airflow's workload identity is a second runner with
the same limits and its own cluster policy and folder, and `scripts/deploy.sh dags` stages the
run script and the wheels beside the DAGs (driven with az and the wheel build recorded). With
orchestration=kubeflow the KFP run's workload identity (federated to its service account only)
is the runner `kfp`, with its own cluster policy and read-only access to the files kfp-submit
uploads to CI's folder (databricks_run.py --json).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aiarch_scaffold.generate import create_project
from tests.template.infra import (
    hcl_blocks,
    load_hcl,
    project_checks,
    spark_projects,
    sync_dags_recorded,
)
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    missing_named_tests,
)
from tests.template.test_lake_access import ROLE_ACTIONS, _abac_allows
from tests.tools import require

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-entra-token"  # noqa: S105  # pragma: allowlist secret
HOST = "https://adb-1234567890123456.7.azuredatabricks.net"
FOLDER = "/Workspace/Users/00000000-0000-0000-0000-00000000c1c1/build-features"
VOLUME = "/Volumes/acme_dev/features/lake"
KEY_SECRET = "acme-dev-keys/acme-dev-pseudonymisation-key"  # noqa: S105 - a name, no value


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return spark_projects(tmp_path_factory, "azure")


def _terraform(project: Path) -> Path:
    return project / "infra/terraform"


def _module_call(project: Path, name: str) -> dict[str, Any]:
    for entry in load_hcl(_terraform(project) / "envs/dev/main.tf")["module"]:
        if name in entry:
            return dict(entry[name])
    raise AssertionError(f"no module {name}")


def _locals(project: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load_hcl(_terraform(project) / "envs/dev/main.tf")["locals"]:
        merged.update(block)
    return merged


def test_renders_clean(projects: dict[str, Path]) -> None:
    for target, project in projects.items():
        assert_clean_output(project)
        assert_only_chosen_files(
            project,
            {"cloud": "azure", "iac": "terraform", "deploy_target": target, "processing": "spark"},
        )
        assert "spark-run:" in (project / "Makefile").read_text()
        adr = (project / "docs/adr/0024-managed-spark.md").read_text()
        assert "## Decision\n\nOn Azure the features job runs" in adr and "Synapse" in adr
        assert "gcloud" not in adr, "the Google Cloud section is left out"
        assert "Azure Databricks" in (project / "docs/deploy.md").read_text()
        security = (project / "docs/security.md").read_text()
        assert "test_the_connector_reaches_the_features_prefixes_only" in security
        assert missing_named_tests(project) == []


def test_no_workspace_without_spark(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {"cloud": "azure"}).destination
    modules = _terraform(project) / "modules"
    assert not (modules / "databricks").exists() and not (modules / "databricks_jobs").exists()
    assert "databricks" not in (_terraform(project) / "envs/dev/main.tf").read_text()
    assert "databricks" not in (_terraform(project) / "envs/dev/versions.tf").read_text()
    assert "spark" not in (project / "scripts/deploy.sh").read_text()
    assert not (project / "scripts/deploy/databricks_run.py").exists()
    assert not (project / "packages/contracts/src/contracts/databricks_secrets.py").exists()


def test_the_workspace_is_private_and_encrypted(projects: dict[str, Path]) -> None:
    for project in projects.values():
        resources = hcl_blocks(_terraform(project) / "modules/databricks/main.tf")
        workspace = resources[("azurerm_databricks_workspace", "this")]
        assert workspace["sku"] == "premium"
        assert workspace["public_network_access_enabled"] is False
        assert workspace["network_security_group_rules_required"] == "NoAzureDatabricksRules"
        custom = workspace["custom_parameters"][0]
        assert custom["no_public_ip"] is True
        assert custom["public_subnet_name"] == "${var.subnets.host.name}"
        assert custom["private_subnet_name"] == "${var.subnets.container.name}"
        key = "${var.encryption_key.versionless_id}"
        assert workspace["managed_services_cmk_key_vault_key_id"] == key
        assert workspace["managed_disk_cmk_key_vault_key_id"] == key
        assert workspace["managed_disk_cmk_rotation_to_latest_version_enabled"] is True
        assert workspace["customer_managed_key_enabled"] is True
        assert workspace["infrastructure_encryption_enabled"] is True
        assert workspace["default_storage_firewall_enabled"] is True
        root = resources[("azurerm_databricks_workspace_root_dbfs_customer_managed_key", "this")]
        assert root["key_vault_key_id"] == key
        # Front end through private endpoints only: the REST API and browser sign-in.
        endpoint = resources[("azurerm_private_endpoint", "this")]
        assert endpoint["for_each"] == '${toset(["databricks_ui_api", "browser_authentication"])}'
        assert endpoint["subnet_id"] == "${var.private_endpoint_subnet_id}"
        diagnostics = resources[("azurerm_monitor_diagnostic_setting", "this")]
        assert diagnostics["enabled_log"][0]["category_group"] == "allLogs"
        assert diagnostics["log_analytics_workspace_id"] == "${var.log_analytics_workspace_id}"
        # No node gets a public IP: the only one is the NAT gateway's, outbound.
        public_ips = [name for (kind, name) in resources if kind == "azurerm_public_ip"]
        assert public_ips == ["egress"]
        nat = resources[("azurerm_subnet_nat_gateway_association", "egress")]
        assert nat["for_each"] == {
            "host": "${var.subnets.host.id}",
            "container": "${var.subnets.container.id}",
        }

        # The root module: two dedicated, delegated subnets; the private DNS zone; the CMK.
        main = (_terraform(project) / "envs/dev/main.tf").read_text()
        for role, index in (("host", 8), ("container", 9)):
            assert re.search(
                rf"databricks-{role}\s+= {{ address_prefix = cidrsubnet\(var.address_space, "
                rf'24 - local.prefix_length, {index}\), delegation = "Microsoft.Databricks/'
                rf'workspaces" }}',
                main,
            ), role
        assert 'databricks = "privatelink.azuredatabricks.net"' in main
        assert '"data-lake", "databricks", ' in main
        call = _module_call(project, "databricks")
        assert call["encryption_key"] == '${module.secrets.keys["databricks"]}'
        assert call["private_dns_zone_id"] == (
            '${module.network.private_dns_zone_ids["databricks"]}'
        )


def _features_table(project: Path) -> dict[str, list[str]]:
    text = (_terraform(project) / "envs/dev/main.tf").read_text()
    line = re.search(r"^\s+features\s+= \{ read = (\[.*?\]), write = (\[.*?\]) \}$", text, re.M)
    assert line is not None, "local.lake_access has a features entry"
    read, write = (re.findall(r'"([^"]+)"', part) for part in line.groups())
    return {"read": read, "write": write}


def _connector_allows(project: Path, mode: str, path: str) -> bool:
    """What the access connector's identity may do, through the iam module's ABAC roles."""
    identity = _locals(project)["spark_identity"]["features-spark"]
    assert identity["lake_read"] == '${local.lake_access["features"].read}'
    assert identity["lake_write"] == '${local.lake_access["features"].write}'
    table = _features_table(project)
    prefixes = {
        "data_lake": list(dict.fromkeys(table["read"] + table["write"])),
        "data_lake_write": table["write"],
    }
    iam = hcl_blocks(_terraform(project) / "modules/iam/main.tf")
    blob = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
    action = "read" if mode == "read" else "write"
    for name in ("data_lake", "data_lake_write"):
        body = iam[("azurerm_role_assignment", name)]
        assert body["scope"] == "${var.data_lake_container_id}"
        condition = body["condition"]
        clause = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]"
        expanded = re.sub(
            r"\$\{join\([^\n]*\)\}",
            " OR ".join(f"{clause} StringStartsWith '{prefix}'" for prefix in prefixes[name]),
            condition,
        ).replace("${local.blob_action}", blob)
        role = body["role_definition_name"]
        if action in ROLE_ACTIONS[role] and _abac_allows(expanded, action, path):
            return True
    return False


def test_the_connector_reaches_the_features_prefixes_only(projects: dict[str, Path]) -> None:
    project = projects["kubernetes"]
    day = "ingestion_date=2026-01-15"
    # What the run does.
    assert _connector_allows(project, "read", f"lake/raw/customers/{day}/part-0000.parquet")
    assert _connector_allows(project, "read", f"lake/raw/customers/{day}/_manifest.json")
    assert _connector_allows(project, "write", f"lake/features/customers/{day}/features.parquet")
    assert _connector_allows(project, "write", f"lake/quarantine/customers/{day}/rejected.parquet")
    assert _connector_allows(project, "write", "lake/lineage/0190.jsonl")
    # What a run turned hostile would try next.
    assert not _connector_allows(project, "write", f"lake/raw/customers/{day}/part-0000.parquet")
    assert not _connector_allows(project, "read", "mlflow/artifacts/1/model/model.skops")
    assert not _connector_allows(project, "read", "lake/reference/customers/features.parquet")
    assert not _connector_allows(project, "write", "lake/reference/customers/features.parquet")
    assert not _connector_allows(project, "write", "reports/drift/drift_report.json")
    assert not _connector_allows(project, "write", "lake/audit/erasure/x.json")


def test_the_connector_and_the_runner_hold_nothing_else(projects: dict[str, Path]) -> None:
    for target, project in projects.items():
        identity = _locals(project)["spark_identity"]["features-spark"]
        assert identity["pulls_images"] is False and identity["in_kubernetes"] is False
        assert "secret_ids" not in identity, "the connector reads no secret"
        # No pod may federate into the connector's identity.
        iam = hcl_blocks(_terraform(project) / "modules/iam/main.tf")
        federation = iam[("azurerm_federated_identity_credential", "kubernetes")]["for_each"]
        assert "if service.in_kubernetes" in federation, target
        module = hcl_blocks(_terraform(project) / "modules/databricks/main.tf")
        reader = module[("azurerm_role_assignment", "key_secret_reader")]
        assert reader["scope"] == "${var.key_secret_id}"
        assert reader["role_definition_name"] == "Key Vault Secrets User"
        call = _module_call(project, "databricks")
        reference = '${module.secrets.runtime_secrets["pseudonymisation-key"].%s}'
        assert call["key_secret_id"] == reference % "resource_versionless_id"
        roles = [body for (kind, _), body in module.items() if kind == "azurerm_role_assignment"]
        assert {body["role_definition_name"] for body in roles} == {
            "Key Vault Crypto Service Encryption User",
            "Key Vault Secrets User",
        }
        assert all(body["scope"].startswith("${var.") for body in roles)

        _assert_each_runner_may_only_submit_runs(project)
        jobs_call = _module_call(project, "databricks_jobs")
        assert jobs_call["runner_application_ids"] == {"ci": "${module.iam.ci_client_id}"}
        variables = (_terraform(project) / "envs/dev/variables.tf").read_text()
        assert 'default     = "15.4.x-scala2.12"' in variables


def _assert_each_runner_may_only_submit_runs(project: Path) -> None:
    """Every runner (CI's, and Airflow's with orchestration=airflow) is a workspace service
    principal that cannot create clusters or use SQL, may use its own cluster policy only (whose
    clusters only it may use), and gets the lake volume and the key's secret scope, nothing else."""
    jobs = hcl_blocks(_terraform(project) / "modules/databricks_jobs/main.tf")
    runner = jobs[("databricks_service_principal", "runner")]
    assert runner["for_each"] == "${var.runner_application_ids}"
    assert runner["allow_cluster_create"] is False
    assert runner["databricks_sql_access"] is False
    policy = jobs[("databricks_cluster_policy", "build_features")]
    assert policy["for_each"] == "${var.runner_application_ids}", "one policy per runner"
    for fixed in (
        'spark_version = {type = "fixed", value = var.spark_version}',
        'data_security_mode = {type = "fixed", value = "SINGLE_USER"}',
        'single_user_name = {type = "fixed", value = each.value}',
        'cluster_type = {type = "fixed", value = "job"}',
    ):
        assert fixed in policy["definition"].replace("  ", " "), fixed
    assert "maxValue = var.max_workers" in policy["definition"]
    use = jobs[("databricks_permissions", "build_features_policy")]
    assert use["cluster_policy_id"] == "${databricks_cluster_policy.build_features[each.key].id}"
    assert use["access_control"] == [
        {
            "service_principal_name": (
                "${databricks_service_principal.runner[each.key].application_id}"
            ),
            "permission_level": "CAN_USE",
        }
    ], "a runner may use its own policy only"
    grants = {name: body for (kind, name), body in jobs.items() if kind == "databricks_grants"}
    assert set(grants) == {"catalog", "schema", "lake_volume"}, "nothing on the location"
    privileges = {}
    for name, body in grants.items():
        (dynamic,) = body["dynamic"]
        assert dynamic["grant"]["for_each"] == "${databricks_service_principal.runner}"
        (content,) = dynamic["grant"]["content"]
        assert content["principal"] == "${grant.value.application_id}"
        privileges[name] = content["privileges"]
    assert privileges == {
        "catalog": ["USE_CATALOG"],
        "schema": ["USE_SCHEMA"],
        "lake_volume": ["READ_VOLUME", "WRITE_VOLUME"],
    }
    volume = jobs[("databricks_volume", "lake")]
    assert volume["volume_type"] == "EXTERNAL"
    assert volume["storage_location"] == "${local.container_url}/lake"
    acl = jobs[("databricks_secret_acl", "runner")]
    assert acl["permission"] == "READ"
    assert acl["principal"] == "${databricks_service_principal.runner[each.key].application_id}"
    scope = jobs[("databricks_secret_scope", "keys")]
    assert scope["keyvault_metadata"][0]["resource_id"] == "${var.key_vault.id}"
    # CI's objects from before Airflow could submit runs are the ci runner's: nothing replaced.
    moved = (_terraform(project) / "modules/databricks_jobs/main.tf").read_text()
    for address in (
        "databricks_service_principal.runner",
        "databricks_cluster_policy.build_features",
        "databricks_permissions.build_features_policy",
        "databricks_secret_acl.runner",
    ):
        assert f'from = {address}\n  to   = {address}["ci"]' in moved, address


def test_checkov_passes_and_catches_a_public_workspace(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    require("uv")
    project = projects["containers"]
    result = project_checks(project, "checkov", "terraform-refs")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    module = tmp_path / "databricks"
    shutil.copytree(_terraform(project) / "modules/databricks", module)
    main = module / "main.tf"
    text = main.read_text()
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(module)]
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
    line = "  public_network_access_enabled         = false\n"
    assert line in text
    main.write_text(text.replace(line, line.replace("false", "true")))
    public = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert public.returncode != 0
    assert "CKV_AZURE_158" in public.stdout + public.stderr


# ---------------------------------------------------------------- the run script
class FakeWorkspace:
    """The Databricks REST API as databricks_run.py calls it: records every request, answers
    runs/get with the given life cycle, in order (the last one repeats)."""

    def __init__(self, states: list[dict[str, str]], *, fail: str | None = None) -> None:
        self.states = states
        self.fail = fail
        self.requests: list[tuple[str, str, Any, Mapping[str, str]]] = []

    def __call__(
        self, method: str, url: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        self.requests.append((method, url, body, headers))
        path = url.removeprefix(HOST).split("?")[0]
        if path == self.fail:
            return 403, {"error_code": "PERMISSION_DENIED", "message": "not allowed"}
        if path == "/api/2.2/jobs/runs/submit":
            return 200, {"run_id": 42}
        if path == "/api/2.2/jobs/runs/get":
            state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
            return 200, {"state": state, "run_page_url": f"{HOST}/#job/1/run/42"}
        return 200, {}

    def paths(self) -> list[str]:
        return [
            f"{method} {url.removeprefix(HOST).split('?')[0]}" for method, url, *_ in self.requests
        ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def run_script(projects: dict[str, Path]) -> ModuleType:
    path = projects["kubernetes"] / "scripts/deploy/databricks_run.py"
    spec = importlib.util.spec_from_file_location("databricks_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def build(tmp_path: Path) -> list[str]:
    (tmp_path / "requirements.txt").write_text("pydantic==2.12.0 --hash=sha256:00\n")
    (tmp_path / "acme_contracts-0.1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04contracts")
    (tmp_path / "acme_features-0.1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04features")
    return [
        "--host", HOST, "--policy-id", "ABC123", "--runtime", "15.4.x-scala2.12",
        "--node-type", "Standard_D4ds_v5", "--folder", FOLDER, "--lake-path", VOLUME,
        "--key-secret", KEY_SECRET, "--code-version", "0a1b2c3d4e5f",
        "--requirements", str(tmp_path / "requirements.txt"),
        "--wheel", str(tmp_path / "acme_contracts-0.1.0-py3-none-any.whl"),
        "--wheel", str(tmp_path / "acme_features-0.1.0-py3-none-any.whl"),
        "--date", "2026-01-15",
    ]  # fmt: skip


def _main(run_script: ModuleType, argv: list[str], workspace: FakeWorkspace, clock: Clock) -> int:
    code: int = run_script.main(
        argv,
        {"DATABRICKS_TOKEN": TOKEN},
        workspace,
        clock=clock,
        sleep=clock.sleep,
    )
    return code


def test_spark_run_uploads_submits_and_names_the_key(
    run_script: ModuleType, build: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = FakeWorkspace(
        [
            {"life_cycle_state": "PENDING"},
            {"life_cycle_state": "RUNNING"},
            {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
        ]
    )
    assert _main(run_script, build, workspace, Clock()) == 0
    folder = f"{FOLDER}/0a1b2c3d4e5f"
    assert workspace.paths() == [
        "POST /api/2.0/workspace/mkdirs",
        *["POST /api/2.0/workspace/import"] * 4,
        "POST /api/2.2/jobs/runs/submit",
        *["GET /api/2.2/jobs/runs/get"] * 3,
    ]
    imported = {
        body["path"]: base64.b64decode(body["content"]) for _, _, body, _ in workspace.requests[1:5]
    }
    assert set(imported) == {
        f"{folder}/acme_contracts-0.1.0-py3-none-any.zip",
        f"{folder}/acme_features-0.1.0-py3-none-any.zip",
        f"{folder}/requirements.txt",
        f"{folder}/build_features.py",
    }
    assert imported[f"{folder}/acme_features-0.1.0-py3-none-any.zip"] == b"PK\x03\x04features"
    entry = imported[f"{folder}/build_features.py"].decode()
    assert "addPyFile" in entry and 'runpy.run_module("features"' in entry
    compile(entry, "build_features.py", "exec")

    submit = workspace.requests[5][2]
    (task,) = submit["tasks"]
    cluster = task["new_cluster"]
    assert cluster["policy_id"] == "ABC123"
    assert cluster["spark_version"] == "15.4.x-scala2.12"
    assert cluster["data_security_mode"] == "SINGLE_USER"
    assert task["spark_python_task"] == {
        "python_file": f"{folder}/build_features.py",
        "parameters": ["--date", "2026-01-15"],
    }
    assert task["libraries"] == [{"requirements": f"{folder}/requirements.txt"}]
    environment = cluster["spark_env_vars"]
    assert environment["APP_LAKE_URI"] == VOLUME
    assert environment["APP_PSEUDONYMISATION_KEY_SECRET"] == KEY_SECRET
    assert "APP_PSEUDONYMISATION_KEY" not in environment, "the key is named, never passed"
    assert environment["APP_JOB_ARCHIVES"].split(",") == sorted(
        p for p in imported if p.endswith(".zip")
    )
    assert len(submit["idempotency_token"]) <= 64
    # The Entra token travels in the Authorization header only.
    for _, url, body, headers in workspace.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in url and TOKEN not in json.dumps(body)
    printed = capsys.readouterr().out
    assert "run 42: TERMINATED SUCCESS" in printed and TOKEN not in printed


def test_a_failed_run_fails_the_target(run_script: ModuleType, build: list[str]) -> None:
    failed = {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "x"}
    assert _main(run_script, build, FakeWorkspace([failed]), Clock()) == 1
    internal = {"life_cycle_state": "INTERNAL_ERROR", "state_message": "cluster lost"}
    assert _main(run_script, build, FakeWorkspace([internal]), Clock()) == 1


def test_the_wait_is_bounded_and_cancels_the_run(
    run_script: ModuleType, build: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = FakeWorkspace([{"life_cycle_state": "RUNNING"}])
    clock = Clock()
    assert _main(run_script, [*build, "--timeout-minutes", "5"], workspace, clock) == 1
    assert workspace.paths()[-1] == "POST /api/2.2/jobs/runs/cancel"
    assert workspace.requests[-1][2] == {"run_id": 42}
    assert clock.now <= 5 * 60 and len(clock.sleeps) <= 10
    assert "TIMEDOUT" in capsys.readouterr().out


def test_a_refused_request_stops_with_its_status(run_script: ModuleType, build: list[str]) -> None:
    workspace = FakeWorkspace([{}], fail="/api/2.2/jobs/runs/submit")
    with pytest.raises(run_script.RunError, match="HTTP 403 PERMISSION_DENIED not allowed"):
        _main(run_script, build, workspace, Clock())


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--host", "http://adb-1.azuredatabricks.net"),
        ("--host", "file:///etc/passwd"),
        ("--folder", "/Workspace/../etc"),
        ("--folder", "/home/ci/build-features"),
        ("--lake-path", "abfss://lake@acme.dfs.core.windows.net/lake"),
        ("--lake-path", "/Volumes/acme_dev/../../etc"),
        ("--key-secret", "acme-dev-keys"),
        ("--key-secret", "acme-dev-keys/key/../../other"),
    ],
)
def test_unsafe_inputs_are_refused_before_any_request(
    run_script: ModuleType, build: list[str], option: str, value: str
) -> None:
    argv = list(build)
    argv[argv.index(option) + 1] = value
    workspace = FakeWorkspace([{}])
    with pytest.raises((SystemExit, ValueError)):
        _main(run_script, argv, workspace, Clock())
    assert workspace.requests == []


def test_no_token_no_request(run_script: ModuleType, build: list[str]) -> None:
    workspace = FakeWorkspace([{}])
    with pytest.raises(ValueError, match="DATABRICKS_TOKEN is empty"):
        run_script.main(build, {}, workspace)
    assert workspace.requests == []


def test_spark_run_gets_the_token_from_az_into_the_environment_only(
    projects: dict[str, Path],
) -> None:
    project = projects["containers"]
    cloud = (project / "scripts/deploy/cloud.sh").read_text()
    assert "az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d" in cloud
    assert 'DATABRICKS_TOKEN=$token python3 "$PROJECT_ROOT/scripts/deploy/databricks_run.py"' in (
        cloud
    )
    assert "--no-emit-package pyspark" in cloud
    assert "APP_PSEUDONYMISATION_KEY=" not in cloud and "keyvault secret show" not in cloud
    deploy = (project / "scripts/deploy.sh").read_text()
    assert re.search(r"spark\)\n(\s+#[^\n]*\n)*\s+databricks_run ", deploy)


# ---------------------------------------------------------------- Airflow submits the runs
@pytest.fixture(scope="module")
def airflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "azure", "deploy_target": "kubernetes", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("airflow") / "p", {**answers, "orchestration": "airflow"}
    ).destination


def test_airflow_submits_the_runs_as_its_own_workspace_identity(airflow_project: Path) -> None:
    """With orchestration=airflow the DAG's features task submits the runs as Airflow's own
    workload identity: a second runner of the workspace with CI's limits and its own cluster
    policy and folder, handed to the DAGs by name; no token is stored anywhere, and the identity
    gets no Azure role for it (a workspace service principal signs in with an Entra ID token)."""
    project = airflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    _assert_each_runner_may_only_submit_runs(project)
    assert _module_call(project, "databricks_jobs")["runner_application_ids"] == {
        "ci": "${module.iam.ci_client_id}",
        "airflow": "${module.airflow.identity_client_id}",
    }
    outputs = load_hcl(_terraform(project) / "envs/dev/outputs.tf")["output"]
    values = {name: body["value"] for entry in outputs for name, body in entry.items()}
    assert values["airflow_spark_cluster_policy_id"] == (
        '${module.databricks_jobs.cluster_policy_ids["airflow"]}'
    )
    assert values["airflow_spark_job_folder"] == '${module.databricks_jobs.job_folders["airflow"]}'
    assert values["spark_cluster_policy_id"] == '${module.databricks_jobs.cluster_policy_ids["ci"]}'
    airflow = hcl_blocks(_terraform(project) / "modules/airflow/main.tf")
    roles = {name for (kind, name) in airflow if kind == "azurerm_role_assignment"}
    assert roles == {"read_dags", "write_logs", "database_key_user"}, "no role for Databricks"
    federation = airflow[("azurerm_federated_identity_credential", "airflow")]
    assert federation["subject"] == "system:serviceaccount:${var.namespace}:airflow"
    dags_sh = (project / "scripts/deploy/dags.sh").read_text()
    for setting, output in (
        ("PIPELINE_SPARK_HOST", "databricks_host"),
        ("PIPELINE_SPARK_POLICY_ID", "airflow_spark_cluster_policy_id"),
        ("PIPELINE_SPARK_FOLDER", "airflow_spark_job_folder"),
        ("PIPELINE_SPARK_LAKE_PATH", "spark_lake_path"),
        ("APP_PSEUDONYMISATION_KEY_SECRET", "pseudonymisation_key_secret_reference"),
    ):
        assert f'- name: {setting}\n    value: "$(infra_output {output} "$env_name")"' in dags_sh
    dag = (project / "orchestration/dags/pipeline.py").read_text()
    assert "WorkloadIdentityCredential()" in dag and "submit_and_wait" in dag
    for text in (dag, dags_sh, (project / "orchestration/azure/values.yaml").read_text()):
        assert "DATABRICKS_TOKEN" not in text and "dapi" not in text, "no PAT, no stored token"
    adr = (project / "docs/adr/0024-managed-spark.md").read_text()
    assert "features task submits" in adr and "workload identity" in adr


def test_dags_deploy_ships_the_run_script_and_the_staged_wheels(
    airflow_project: Path, tmp_path: Path
) -> None:
    """`scripts/deploy.sh dags` run through bash with az and the wheel build replaced by
    recorders (no Azure here): the DAG container gets the DAGs, databricks_run.py, the image tag
    and the wheels and requirements in databricks/, which .airflowignore keeps from the parser."""
    calls, synced = tmp_path / "calls", tmp_path / "synced"
    stubs = f"""
databricks_build() {{ echo "databricks_build $*" >>{calls}; mkdir -p "$1"; touch "$1/x.whl" "$1/requirements.txt"; }}
az() {{ echo "az $*" >>{calls}; cp -r "${{@: -3:1}}" {synced}; }}
"""  # noqa: E501
    recorded = sync_dags_recorded(airflow_project, calls, stubs)
    assert "infra_output airflow_dag_bucket dev" in recorded
    assert any(line.startswith("databricks_build ") for line in recorded)
    assert any(line.startswith("az storage blob sync --auth-mode login") for line in recorded)
    assert {path.name for path in synced.iterdir()} >= {
        "pipeline.py",
        "databricks_run.py",
        "image_tag.txt",
        ".airflowignore",
        "databricks",
    }
    assert {path.name for path in (synced / "databricks").iterdir()} == {
        "x.whl",
        "requirements.txt",
    }
    assert (synced / ".airflowignore").read_text() == "databricks/\n"


def test_airflow_with_databricks_passes_the_project_checks(airflow_project: Path) -> None:
    """checkov, Terraform references and shellcheck on dags.sh pass on the project as generated."""
    require("uv")
    result = project_checks(airflow_project, "checkov", "terraform-refs", "shellcheck")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


# ---------------------------------------------------------------- Kubeflow submits the runs
@pytest.fixture(scope="module")
def kubeflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "azure", "deploy_target": "kubernetes", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("kubeflow") / "p", {**answers, "orchestration": "kubeflow"}
    ).destination


def test_kubeflow_submits_the_runs_as_its_run_identity(kubeflow_project: Path) -> None:
    """With orchestration=kubeflow the pipeline's features step submits the runs as the KFP
    run's workload identity: a user-assigned identity federated to the run's service account
    only, a second runner of the workspace with CI's limits and its own cluster policy, that
    may read the files kfp-submit uploads to CI's folder and write none; no token is stored."""
    project = kubeflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    _assert_each_runner_may_only_submit_runs(project)
    jobs_call = _module_call(project, "databricks_jobs")
    assert jobs_call["runner_application_ids"] == {
        "ci": "${module.iam.ci_client_id}",
        "kfp": "${azurerm_user_assigned_identity.kfp_run.client_id}",
    }
    assert jobs_call["staging_readers"] == ["kfp"]
    main = hcl_blocks(_terraform(project) / "envs/dev/main.tf")
    federation = main[("azurerm_federated_identity_credential", "kfp_run")]
    assert federation["subject"] == (
        "system:serviceaccount:${var.kfp_namespace}:${var.kfp_run_service_account}"
    )
    assert federation["issuer"] == "${module.aks.oidc_issuer_url}"
    roles = [body for (kind, _name), body in main.items() if kind == "azurerm_role_assignment"]
    assert not any("kfp_run" in json.dumps(body) for body in roles), "no Azure role for it"
    jobs = hcl_blocks(_terraform(project) / "modules/databricks_jobs/main.tf")
    staging = jobs[("databricks_permissions", "ci_staging")]
    (dynamic,) = staging["dynamic"]
    assert dynamic["access_control"]["for_each"] == "${var.staging_readers}"
    (content,) = dynamic["access_control"]["content"]
    assert content["permission_level"] == "CAN_READ", "the Kubeflow runner only reads CI's files"
    outputs = load_hcl(_terraform(project) / "envs/dev/outputs.tf")["output"]
    values = {name: body["value"] for entry in outputs for name, body in entry.items()}
    assert values["kfp_spark_cluster_policy_id"] == (
        '${module.databricks_jobs.cluster_policy_ids["kfp"]}'
    )
    deploy = (project / "scripts/deploy.sh").read_text()
    assert 'databricks_run "$env_name" "" --json' in deploy
    assert '--policy-id "$(infra_output kfp_spark_cluster_policy_id "$env_name")"' in deploy
    step = (project / "orchestration/src/kfp_pipeline/managed_spark.py").read_text()
    assert "AZURE_FEDERATED_TOKEN_FILE" in step and ".azuredatabricks.net" in step
    committed = (project / "orchestration/pipeline.yaml").read_text()
    assert "AZURE_FEDERATED_TOKEN_FILE" in committed and "azure.workload.identity/use" in committed
    for text in (step, committed, deploy):
        assert "DATABRICKS_TOKEN=" not in text.replace("DATABRICKS_TOKEN=$token", "")
        assert "dapi" not in text, "no PAT"
    adr = (project / "docs/adr/0024-managed-spark.md").read_text()
    assert "features step submits" in adr and "workload identity" in adr


def test_kubeflow_with_databricks_passes_the_project_checks(kubeflow_project: Path) -> None:
    """checkov, Terraform references and shellcheck pass on the project as generated."""
    require("uv")
    result = project_checks(kubeflow_project, "checkov", "terraform-refs", "shellcheck")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
