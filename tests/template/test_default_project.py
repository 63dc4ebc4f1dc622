"""The default project: renders clean, installs, runs its pipeline, governance commands and hooks.

Its `make test` runs in tests/template/test_installed_wheel.py, where a user's steps (the wheel's
`aiarch new --defaults`, then exactly the printed `make install && make pipeline && make test`)
build the same project; running it here too cost a second full suite of the same project.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default-project")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("render") / "default").destination


@pytest.fixture(scope="module")
def installed(project: Path) -> Path:
    require("uv")
    run(["uv", "sync"], cwd=project)
    return project


def test_output_is_clean(project: Path) -> None:
    assert_clean_output(project)


def test_python_is_ruff_clean(project: Path) -> None:
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)


def test_every_service_has_its_parts(project: Path) -> None:
    for service in ("ingestion", "features", "training", "serving", "monitoring"):
        root = project / "services" / service
        for part in ("pyproject.toml", "Dockerfile", "README.md", f"src/{service}/__main__.py"):
            assert (root / part).is_file(), f"{service}: {part}"
        assert list((root / "tests").glob("test_*.py")), f"{service} has no tests"


def test_governance_is_always_on(project: Path) -> None:
    """Lineage and data governance come with every project, without a question (issue 12)."""
    contracts = project / "packages" / "contracts"
    assert 'forget-customer = "contracts.governance:forget_main"' in (
        contracts / "pyproject.toml"
    ).read_text()
    assert "openlineage-python>=" in (contracts / "pyproject.toml").read_text()
    doc = (project / "docs" / "data-governance.md").read_text()
    assert "| `CustomerRecord.customer_id` | direct identifier |" in doc
    assert (project / "docs" / "adr" / "0016-openlineage-lineage.md").is_file()
    makefile = (project / "Makefile").read_text()
    assert "forget-customer:" in makefile and "retention:" in makefile


def test_make_pipeline_runs_the_lifecycle(installed: Path) -> None:
    require("make")
    run(["make", "pipeline"], cwd=installed)
    data = installed / "data"
    assert list((data / "lake" / "raw" / "customers").glob("ingestion_date=*/part-0000.parquet"))
    assert list(
        (data / "lake" / "features" / "customers").glob("ingestion_date=*/features.parquet")
    )
    reference = data / "lake" / "reference" / "customers" / "churn-classifier"
    assert (reference / "features.parquet").is_file()
    assert (reference / "_manifest.json").is_file()
    assert (data / "reports" / "drift" / "drift_report.md").is_file()
    # One OpenLineage JSON-lines file per job run: ingest, features, train, drift.
    runs = list((data / "lake" / "lineage").glob("*.jsonl"))
    assert len(runs) == 4
    assert all('"eventType": "COMPLETE"' in run.read_text() for run in runs)


def test_forget_customer_and_retention_run_from_make(installed: Path) -> None:
    """The governance commands the docs give work after a pipeline run (issue 12)."""
    require("make")
    data = installed / "data"
    if not (data / "lake" / "raw").is_dir():
        run(["make", "pipeline"], cwd=installed)
    result = run(["make", "forget-customer", "CUSTOMER=C0000001"], cwd=installed)
    assert re.search(r"^removed [1-9]\d* rows from [1-9]\d* partitions", result.stdout, re.M)
    assert len(list((data / "lake" / "audit" / "erasure").glob("*.json"))) == 1
    run(["make", "retention"], cwd=installed)
    assert (installed / "docs" / "data-governance.md").is_file()


def test_pre_commit_runs_offline(installed: Path) -> None:
    require("git")
    run(["git", "init", "-q"], cwd=installed)
    run(["git", "add", "-A"], cwd=installed)
    run(["uv", "run", "--no-sync", "pre-commit", "run", "--all-files"], cwd=installed)


def test_alert_rules_pass_promtool(project: Path) -> None:
    promtool = require("promtool")
    rules = project / "services" / "monitoring" / "prometheus"
    run([promtool, "check", "rules", "alerts.yml"], cwd=rules)
    run([promtool, "test", "rules", "alerts.test.yml"], cwd=rules)
