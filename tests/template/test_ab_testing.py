"""ab_testing=true (issue 11): the experiments service in every place the service list reaches,
and assignments in each API style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import run


def _render(tmp_path: Path, **answers: object) -> Path:
    return create_project(tmp_path / "p", {"ab_testing": True, **answers}).destination


@pytest.mark.parametrize("api_style", ["rest", "graphql", "grpc"])
def test_ab_testing_renders_clean_in_each_api_style(tmp_path: Path, api_style: str) -> None:
    answers = {"ab_testing": True, "api_style": api_style}
    project = _render(tmp_path, api_style=api_style)
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, answers)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc
    makefile = (project / "Makefile").read_text()
    assert re.search(r"^SERVICES := .* experiments$", makefile, re.M)
    assert re.search(r"^pipeline: .* experiment ##", makefile, re.M)
    workspace = (project / "pyproject.toml").read_text()
    assert '"customer-churn-platform-experiments"' in workspace
    schema = {
        "rest": "services/serving/openapi.json",
        "graphql": "services/serving/schema.graphql",
        "grpc": "packages/contracts/src/contracts/proto/churn/serving/v1/prediction.proto",
    }[api_style]
    assert "ssignment" in (project / schema).read_text()


def test_without_ab_testing_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {}).destination
    assert_only_chosen_files(project, {})
    # MLflow's own "experiments" (groups of runs) stay; nothing of the A/B option does.
    pattern = re.compile(r"/v1/assignments|experiments_dir|APP_EXPERIMENT|lake/experiments")
    found = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and path.name != ".copier-answers.yml"  # records ab_testing: false
        and pattern.search(path.read_text(errors="ignore"))
    ]
    assert found == []


def test_the_analysis_cronjob_has_the_hardening_of_the_other_jobs(tmp_path: Path) -> None:
    project = _render(tmp_path, cloud="aws", deploy_target="kubernetes")
    base = project / "deploy" / "kubernetes" / "base"
    job = yaml.safe_load((base / "jobs" / "experiments.yaml").read_text())
    drift = yaml.safe_load((base / "jobs" / "monitoring.yaml").read_text())
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    reference = drift["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job["kind"] == "CronJob"
    assert pod["securityContext"] == reference["securityContext"]
    assert pod["containers"][0]["securityContext"] == reference["containers"][0]["securityContext"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["command"] == ["experiments", "analyse"]
    accounts = list(yaml.safe_load_all((base / "serviceaccounts.yaml").read_text()))
    assert "experiments" in {account["metadata"]["name"] for account in accounts}
    assert "jobs/experiments.yaml" in (base / "kustomization.yaml").read_text()
    policies = list(yaml.safe_load_all((base / "networkpolicies.yaml").read_text()))
    by_name = {policy["metadata"]["name"]: policy for policy in policies}
    batch = by_name["batch-egress-https"]["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert "experiments" in batch
    # Serving reaches the lake over HTTPS only, never the instance metadata endpoint.
    serving = by_name["serving-lake-egress-https"]["spec"]["egress"][0]
    assert serving["ports"] == [{"protocol": "TCP", "port": 443}]
    assert serving["to"][0]["ipBlock"]["except"] == ["169.254.169.254/32"]


def test_lake_access_lets_serving_write_exposures_only(tmp_path: Path) -> None:
    import hcl2

    project = _render(tmp_path, cloud="aws", iac="terraform", deploy_target="kubernetes")
    with (project / "infra" / "terraform" / "envs" / "dev" / "main.tf").open() as handle:
        parsed = hcl2.load(handle)
    table = next(block["lake_access"] for block in parsed["locals"] if "lake_access" in block)

    def prefixes(service: str, mode: str) -> list[str]:
        return [str(item).strip('"') for item in table[service][mode]]

    def allowed(service: str, mode: str, key: str) -> bool:
        return any(key.startswith(prefix) for prefix in prefixes(service, mode))

    exposure = "lake/experiments/exposures/churn-model/ingestion_date=2026-01-01/batch-1/x"
    outcome = "lake/experiments/outcomes/churn-model/ingestion_date=2026-01-01/batch-1/x"
    assert allowed("serving", "write", exposure)
    assert allowed("experiments", "read", exposure)
    assert allowed("experiments", "write", "reports/experiments/churn-model/report.json")
    # A compromised serving pod cannot forge outcomes or touch the other zones.
    assert not allowed("serving", "write", outcome)
    assert not allowed("serving", "read", "lake/features/customers/x")
    assert not allowed("serving", "write", "lake/raw/customers/x")
    assert not allowed("experiments", "read", "lake/raw/customers/x")
    assert not allowed("experiments", "write", "reports/drift/drift_report.json")


def test_managed_containers_schedule_the_analysis_like_an_added_batch_job(tmp_path: Path) -> None:
    project = _render(tmp_path, cloud="gcp", deploy_target="containers")
    main_tf = (project / "infra" / "terraform" / "envs" / "dev" / "main.tf").read_text()
    assert '"experiments" = { kind = "batch-job" }' in main_tf


@pytest.mark.parametrize(
    ("answers", "module", "needle"),
    [
        ({"cloud": "gcp", "deploy_target": "containers"}, "api_gateway", '"/v1/assignments" = {'),
        ({"cloud": "gcp", "deploy_target": "kubernetes"}, "endpoints", '"/v1/assignments" = {'),
        (
            {"cloud": "gcp", "deploy_target": "kubernetes", "api_style": "grpc"},
            "endpoints",
            'for method in ["Predict", "Assign"]',
        ),
        (
            {"cloud": "azure", "deploy_target": "containers"},
            "api_management",
            'url = "/v1/assignments"',
        ),
    ],
)
def test_the_cloud_gateways_route_assignments_with_the_predict_guards(
    tmp_path: Path, answers: dict[str, str], module: str, needle: str
) -> None:
    project = _render(tmp_path, api_gateway="cloud", **answers)
    text = (project / "infra" / "terraform" / "modules" / module / "main.tf").read_text()
    assert needle in text
    if needle.startswith('"/v1/assignments"'):
        block = text[text.index('"/v1/assignments"') :].split('"/readyz"')[0]
        assert "security       = local.security" in block
        assert "x-google-quota" in block
