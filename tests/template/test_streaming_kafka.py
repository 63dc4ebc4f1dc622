"""streaming=kafka (issue 12): the events service, its contract, its pins and its CI broker,
rendered only when chosen; the generated project's events tests and commands run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

KAFKA_IMAGE = re.compile(r"apache/kafka:[0-9.]+@sha256:[0-9a-f]{64}")
CLOUD_SDK = {
    "aws": "aws-msk-iam-sasl-signer-python",
    "gcp": "google-auth",
    "azure": "azure-identity",
}


def _render(tmp_path: Path, name: str = "p", **answers: object) -> Path:
    return create_project(tmp_path / name, {"streaming": "kafka", **answers}).destination


def _dependencies(project: Path, member: str) -> list[str]:
    pyproject = tomllib.loads((project / member / "pyproject.toml").read_text())
    return list(pyproject["project"]["dependencies"])


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"cloud": "aws", "iac": "terraform", "ci": "gitlab", "deploy_target": "containers"},
        {"cloud": "gcp", "iac": "terraform", "ci": "jenkins", "deploy_target": "kubernetes"},
        {"cloud": "azure", "iac": "terraform", "ci": "github", "deploy_target": "containers"},
    ],
    ids=["local-github", "aws-gitlab", "gcp-jenkins", "azure-github"],
)
def test_kafka_renders_clean_with_its_pins_in_each_cloud(
    tmp_path: Path, answers: dict[str, object]
) -> None:
    chosen = {"streaming": "kafka", **answers}
    project = _render(tmp_path, **answers)
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, chosen)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(chosen)}") from exc
    events = _dependencies(project, "services/events")
    assert any(dep.startswith("confluent-kafka>=") for dep in events)
    cloud = str(answers.get("cloud", "local"))
    for other, sdk in CLOUD_SDK.items():
        assert any(dep.startswith(sdk) for dep in events) == (other == cloud), sdk
    # The heavy client only where it is used: no other member pulls it.
    for member in ("packages/contracts", "services/features", "services/serving"):
        assert not any("kafka" in dep for dep in _dependencies(project, member)), member
    auth = (project / "services/events/src/events/auth.py").read_text()
    assert ("def oauth_cb(" in auth) == (cloud != "local")
    makefile = (project / "Makefile").read_text()
    assert re.search(r"^SERVICES := .* events$", makefile, re.M)
    assert re.search(r"^pipeline: ingest produce consume features ", makefile, re.M)
    assert '"customer-churn-platform-events"' in (project / "pyproject.toml").read_text()
    assert (project / "docs/adr/0021-event-ingestion.md").is_file()
    assert "adr/0021-event-ingestion.md" in (project / "docs/architecture.md").read_text()


def test_each_ci_runs_the_kafka_tests_against_a_pinned_broker(tmp_path: Path) -> None:
    github = _render(tmp_path, "gh", ci="github")
    workflow = yaml.safe_load((github / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["test"]
    assert KAFKA_IMAGE.fullmatch(job["services"]["kafka"]["image"])
    assert job["services"]["kafka"]["ports"] == ["127.0.0.1:9092:9092"]
    [step] = [step for step in job["steps"] if "-m kafka" in step.get("run", "")]
    assert step["env"]["APP_KAFKA_ALLOW_PLAINTEXT"] == "1"
    assert step["env"]["APP_KAFKA_REQUIRE_BROKER"] == "1"

    gitlab = _render(tmp_path, "gl", ci="gitlab")
    test = yaml.safe_load((gitlab / ".gitlab-ci.yml").read_text())["test"]
    [service] = test["services"]
    assert KAFKA_IMAGE.fullmatch(service["name"]) and service["alias"] == "kafka"
    script = "\n".join(test["script"])
    assert "APP_KAFKA_REQUIRE_BROKER=1" in script and "pytest -m kafka" in script

    jenkins = (_render(tmp_path, "jk", ci="jenkins") / "Jenkinsfile").read_text()
    assert KAFKA_IMAGE.search(jenkins)
    assert "-p 127.0.0.1:9092:9092" in jenkins and "APP_KAFKA_REQUIRE_BROKER=1" in jenkins


def test_the_events_consumer_runs_as_a_consumer_on_managed_containers(tmp_path: Path) -> None:
    project = _render(tmp_path, cloud="aws", deploy_target="containers")
    main = (project / "infra/terraform/envs/dev/main.tf").read_text()
    assert re.search(r'added_services\s*=\s*\{.*"events" = \{ kind = "consumer" \}', main)
    dockerfile = (project / "services/events/Dockerfile").read_text()
    assert 'CMD ["consume", "--follow"]' in dockerfile


def test_without_kafka_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {}).destination
    assert_only_chosen_files(project, {})
    pattern = re.compile(r"APP_KAFKA|confluent|events_dir|apache/kafka|services/events")
    found = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file() and pattern.search(path.read_text(errors="ignore"))
    ]
    assert found == []


@pytest.mark.slow
@pytest.mark.parametrize("use_case", ["churn", "clv", "segmentation", "pricing"])
def test_the_generated_events_tests_and_commands_pass(tmp_path: Path, use_case: str) -> None:
    """Every use case's events (churn outcomes, lifetime values, planted segments, sales at a
    price) go through the same consumer: appended once, folded into the day's customers, a
    replay adds nothing."""
    require("uv")
    project = _render(tmp_path, use_case=use_case)
    run(["uv", "sync"], cwd=project)
    result = run(["uv", "run", "--no-sync", "pytest", "-q", "services/events"], cwd=project)
    assert re.search(r"\d+ passed, 1 skipped", result.stdout), result.stdout[-2000:]
    assert "no Kafka broker reachable" in result.stdout

    env = {"APP_N_ROWS": "500"}
    run(["uv", "run", "--no-sync", "ingest", "--date", "2026-01-05"], cwd=project, env=env)
    produce = ["uv", "run", "--no-sync", "events", "produce", "--count", "50"]
    run([*produce, "--date", "2026-01-05"], cwd=project, env=env)
    consumed = run(["uv", "run", "--no-sync", "events", "consume"], cwd=project, env=env)
    assert "50 new events" in consumed.stdout
    assert "raw/customers/ingestion_date=2026-01-05" in consumed.stdout
    run(["uv", "run", "--no-sync", "build-features"], cwd=project, env=env)
    # A replay of the whole topic (another consumer group) adds nothing and rewrites nothing.
    replay = run(
        ["uv", "run", "--no-sync", "events", "consume"],
        cwd=project,
        env={**env, "APP_KAFKA_GROUP_ID": "replay"},
    )
    assert "50 messages: 0 new events, 50 duplicates" in replay.stdout
    assert "updated" not in replay.stdout
