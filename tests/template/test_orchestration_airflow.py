"""orchestration=airflow (issue 12): Airflow 3 DAGs over the services, Airflow only in the
workspace root's `orchestration` group, the managed Airflow of each cloud in the IaC, and the
generated DAG tests (DagBag, failure handling, dag.test end to end) passing on a real install."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

AIRFLOW = {"orchestration": "airflow"}


def _render(tmp_path: Path, **answers: object) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return create_project(tmp_path / "p", {**AIRFLOW, **answers}).destination


@pytest.mark.parametrize("answers", [{}, {"ab_testing": True}], ids=["plain", "ab_testing"])
def test_airflow_renders_clean(tmp_path: Path, answers: dict[str, object]) -> None:
    chosen = {**AIRFLOW, **answers}
    project = _render(tmp_path, **answers)
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, chosen)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(chosen)}") from exc
    dags = (project / "orchestration" / "dags" / "pipeline.py").read_text()
    assert ('"experiment"' in dags) is bool(answers.get("ab_testing"))
    assert re.search(r"^orchestrate: .*## ", (project / "Makefile").read_text(), re.M)
    assert "make orchestrate" in (project / "README.md").read_text()
    assert (project / "docs" / "adr" / "0019-orchestration-airflow.md").is_file()


def test_airflow_is_in_the_orchestration_group_only(tmp_path: Path) -> None:
    project = _render(tmp_path)
    root = tomllib.loads((project / "pyproject.toml").read_text())
    assert root["dependency-groups"]["orchestration"] == ["apache-airflow>=3.3.2"]
    assert root["tool"]["uv"]["default-groups"] == ["dev", "orchestration"]
    assert "orchestration" in root["tool"]["pytest"]["ini_options"]["testpaths"]
    for pyproject in (project / "services").glob("*/pyproject.toml"):
        assert "airflow" not in pyproject.read_text(), pyproject
    # Images sync one service without dev groups: Airflow never reaches them.
    for dockerfile in (project / "services").glob("*/Dockerfile"):
        assert "--no-dev" in dockerfile.read_text(), dockerfile


def test_without_airflow_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {"cloud": "aws"}).destination
    assert_only_chosen_files(
        project, {"cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes"}
    )
    found = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and path.name != ".copier-answers.yml"
        and re.search(
            r"apache-airflow|airflow[.]sdk|mwaa|orchestrate", path.read_text(errors="ignore")
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    ("answers", "module", "needles"),
    [
        (
            {"cloud": "aws", "deploy_target": "kubernetes"},
            "infra/terraform/modules/mwaa/main.tf",
            ['webserver_access_mode            = "PRIVATE_ONLY"', "kms_key ", "EksPodOperator"],
        ),
        (
            {"cloud": "aws", "deploy_target": "containers"},
            "infra/terraform/modules/mwaa/main.tf",
            ['"ecs:RunTask"', "iam:PassedToService", "EcsRunTaskOperator"],
        ),
        (
            {"cloud": "gcp", "deploy_target": "kubernetes"},
            "infra/terraform/modules/composer/main.tf",
            ["enable_private_environment = true", "kms_key_name", "GKEStartPodOperator"],
        ),
        (
            {"cloud": "gcp", "deploy_target": "containers"},
            "infra/terraform/modules/composer/main.tf",
            ["roles/run.jobsExecutorWithOverrides", "CloudRunExecuteJobOperator"],
        ),
    ],
)
def test_each_cloud_provisions_its_managed_airflow(
    tmp_path: Path, answers: dict[str, str], module: str, needles: list[str]
) -> None:
    project = _render(tmp_path, **answers)
    text = (project / module).read_text() + (
        project / "orchestration" / "dags" / "pipeline.py"
    ).read_text()
    for needle in needles:
        assert needle in text, needle
    env = (project / "infra" / "terraform" / "envs" / "dev" / "main.tf").read_text()
    assert 'PIPELINE_RUNNER          = "cloud"' in env or 'PIPELINE_RUNNER       = "cloud"' in env
    assert "airflow_dag_bucket" in (project / "infra/terraform/envs/prod/outputs.tf").read_text()
    deploy = (project / "scripts" / "deploy" / "dags.sh").read_text()
    assert "image_tag.txt" in deploy


def test_azure_runs_airflow_on_aks_with_its_own_identity(tmp_path: Path) -> None:
    project = _render(tmp_path, cloud="azure", deploy_target="kubernetes")
    module = (project / "infra/terraform/modules/airflow/main.tf").read_text()
    assert 'role_definition_name = "Storage Blob Data Reader"' in module
    assert "system:serviceaccount:${var.namespace}:airflow" in module
    values = (project / "orchestration/azure/values.yaml").read_text()
    assert "executor: KubernetesExecutor" in values
    assert "KubernetesPodOperator" in (project / "orchestration/dags/pipeline.py").read_text()
    assert (
        "module.airflow.dag_container"
        in (project / "infra/terraform/envs/prod/outputs.tf").read_text()
    )
    # The metadata DB: Flexible Server, VNet-integrated, Entra ID only, CMK, TLS required.
    for needle in (
        "public_network_access_enabled = false",
        "password_auth_enabled         = false",
        "primary_user_assigned_identity_id",
        '"require_secure_transport"   = "on"',
        'principal_type      = "ServicePrincipal"',
    ):
        assert needle in module, needle
    env = (project / "infra/terraform/envs/dev/main.tf").read_text()
    assert 'delegation = "Microsoft.DBforPostgreSQL/flexibleServers"' in env
    assert "blob_driver_enabled        = true" in env
    chart = yaml.safe_load(values)
    assert chart["postgresql"]["enabled"] is False
    assert chart["data"]["metadataConnection"]["sslmode"] == "require"
    assert "WorkloadIdentityCredential" in chart["airflowLocalSettings"]
    assert chart["dags"]["persistence"]["existingClaim"] == "airflow-dags"
    assert chart["config"]["logging"]["remote_logging"] == "True"
    assert not any("key" in item["name"].lower() for item in chart["env"])
    volumes = list(
        yaml.safe_load_all((project / "orchestration/azure/dags-volume.yaml").read_text())
    )
    assert volumes[0]["spec"]["csi"]["readOnly"] is True
    assert "clientID" in volumes[0]["spec"]["csi"]["volumeAttributes"]
    assert volumes[1]["metadata"]["name"] == "airflow-dags"
    deploy = (project / "scripts/deploy/dags.sh").read_text()
    assert "install_airflow()" in deploy and "--set-string" not in deploy


@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_cloudformation_provisions_mwaa(tmp_path: Path, deploy_target: str) -> None:
    project = _render(tmp_path, cloud="aws", iac="cloudformation", deploy_target=deploy_target)
    stack = (project / "infra/cloudformation/orchestration.yaml").read_text()
    assert "Type: AWS::MWAA::Environment" in stack
    assert "WebserverAccessMode: PRIVATE_ONLY" in stack
    assert ("AWS::EKS::AccessEntry" in stack) is (deploy_target == "kubernetes")
    assert ("ecs:RunTask" in stack) is (deploy_target == "containers")
    infra = (project / "scripts/deploy/infra.sh").read_text()
    assert "echo orchestration" in infra
    assert "airflow_dag_bucket) _cfn_stack_output orchestration" in infra


@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_cloudformation_gives_mwaa_the_settings_terraform_gives_it(
    tmp_path: Path, deploy_target: str
) -> None:
    """The DAGs read PIPELINE_* / APP_*_URI from the environment or from the [pipeline]
    section of Airflow's configuration: the stack's configuration options name the same
    settings as the Terraform startup script, one option per variable."""
    answers = {"cloud": "aws", "deploy_target": deploy_target}
    cfn = _render(tmp_path / "cfn", iac="cloudformation", **answers)
    stack = yaml.safe_load((cfn / "infra/cloudformation/orchestration.yaml").read_text())
    options = stack["Resources"]["AirflowEnvironment"]["Properties"]["AirflowConfigurationOptions"]
    tf = _render(tmp_path / "tf", **answers)
    main = (tf / "infra/terraform/envs/dev/main.tf").read_text()
    start = main.index("pipeline_environment = {")
    block = main[start : main.index("\n  }", start)]
    variables = re.findall(r"^\s+([A-Z_]+)\s+=", block, re.M)
    assert "PIPELINE_CLUSTER" in variables
    expected = {f"pipeline.{name.removeprefix('PIPELINE_').lower()}" for name in variables}
    assert set(options) - {"core.load_examples"} == expected
    assert options["pipeline.runner"] == "cloud"
    dags = (cfn / "orchestration/dags/pipeline.py").read_text()
    required = set(re.findall(r'setting\("([A-Z_]+)"\)', dags))
    assert required and required <= set(variables), required - set(variables)


def test_managed_airflow_versions_are_ones_the_services_offer_with_deadline_alerts(
    tmp_path: Path,
) -> None:
    """MWAA and Cloud Composer 3 are pinned to a documented Airflow >= 3.1 (ADR 0019)."""
    aws = _render(tmp_path / "aws", cloud="aws")
    gcp = _render(tmp_path / "gcp", cloud="gcp")
    cfn = _render(tmp_path / "cfn", cloud="aws", iac="cloudformation")
    mwaa = re.search(
        r'variable "airflow_version" \{[^}]*default\s+=\s+"([0-9.]+)"',
        (aws / "infra/terraform/envs/prod/variables.tf").read_text(),
    )
    composer = re.search(
        r'default\s+=\s+"composer-3-airflow-([0-9.]+)-build[.][0-9]+"',
        (gcp / "infra/terraform/envs/dev/variables.tf").read_text(),
    )
    assert mwaa and composer
    for version in (mwaa[1], composer[1]):
        assert tuple(int(part) for part in version.split(".")) >= (3, 1), version
    params = (cfn / "infra/cloudformation/params/prod.json").read_text()
    assert f'"AirflowVersion": "{mwaa[1]}"' in params
    adr = (aws / "docs/adr/0019-orchestration-airflow.md").read_text()
    assert mwaa[1] in adr and composer[1] in adr


def test_azure_managed_containers_are_refused_with_the_alternative(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="deploy_target=kubernetes, or orchestration=none"):
        _render(tmp_path, cloud="azure", deploy_target="containers")


def test_generated_dag_tests_pass_on_a_real_install(tmp_path: Path) -> None:
    """make install, then the generated orchestration tests: DagBag, retries, dag.test end to
    end on SQLite (the lake, MLflow's champion and Airflow's asset events)."""
    require("uv")
    project = _render(tmp_path)
    started = time.monotonic()
    run(["make", "install"], cwd=project)
    installed = time.monotonic()
    result = run(
        ["uv", "run", "--no-sync", "pytest", "orchestration", "-q", "-p", "no:cacheprovider"],
        cwd=project,
    )
    assert re.search(r"\b7 passed\b", result.stdout), result.stdout[-2000:]
    tested = time.monotonic()
    print(f"airflow: make install {installed - started:.0f}s, tests {tested - installed:.0f}s")
