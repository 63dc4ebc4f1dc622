"""orchestration=airflow (issue 12): Airflow 3 DAGs over the services, Airflow only in the
workspace root's `orchestration` group, the managed Airflow of each cloud in the IaC, and the
generated DAG tests (DagBag, failure handling, dag.test end to end) passing on a real install."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

AIRFLOW = {"orchestration": "airflow"}


def _render(tmp_path: Path, **answers: object) -> Path:
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
    assert re.search(r"\b5 passed\b", result.stdout), result.stdout[-2000:]
    tested = time.monotonic()
    print(f"airflow: make install {installed - started:.0f}s, tests {tested - installed:.0f}s")
