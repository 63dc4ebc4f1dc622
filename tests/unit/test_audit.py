"""`aiarch audit` on hand-made fixture repos: exactly the known gaps, a stable JSON schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiarch_scaffold import audit
from aiarch_scaffold.cli import app
from aiarch_scaffold.errors import UsageError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "audit"
ALL_IDS = [check.id for check in audit.CHECKS]

# Each fixture's README says what it is; these are the gaps it was built to have.
EXPECTED_GAPS = {
    "legacy-service": set(ALL_IDS) - {"ci", "ci-tests", "tests"},
    "ml-partial": {"secrets-baseline", "monitoring", "lineage", "docs-adr", "portal"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_GAPS))
def test_fixture_gives_exactly_its_known_gaps(name: str) -> None:
    report = audit.audit(FIXTURES / name)
    assert {f.id for f in report.gaps} == EXPECTED_GAPS[name]
    assert all(f.passed is not None for f in report.checks)
    passed = sum(f.weight for f in report.checks if f.passed)
    assert report.score == 100 * passed // sum(f.weight for f in report.checks)


def test_evidence_names_the_offending_files() -> None:
    findings = {f.id: f for f in audit.audit(FIXTURES / "legacy-service").checks}
    assert findings["no-env-committed"].evidence.endswith(": .env")
    assert "actions/checkout@v4" in findings["ci-pinned"].evidence
    assert "Dockerfile" in findings["container-nonroot"].evidence


def test_every_gap_names_what_closes_it() -> None:
    for check in audit.CHECKS:
        assert "`aiarch " in check.fix or "template" in check.fix or "`make " in check.fix, check.id


def test_ids_are_unique_and_weights_positive() -> None:
    assert len(set(ALL_IDS)) == len(ALL_IDS)
    assert all(check.weight > 0 for check in audit.CHECKS)


def test_json_schema_is_the_documented_one() -> None:
    data = json.loads(audit.to_json(audit.audit(FIXTURES / "ml-partial")))
    assert set(data) == {"schema_version", "path", "score", "checks"}
    assert data["schema_version"] == 1 and 0 <= data["score"] <= 100
    assert [c["id"] for c in data["checks"]] == ALL_IDS
    for check in data["checks"]:
        assert set(check) == {"id", "title", "passed", "weight", "evidence", "fix"}
    documented = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    for check_id in ALL_IDS:
        assert f"`{check_id}`" in documented, f"docs/audit.md does not describe {check_id}"


def test_a_committed_env_file_is_found_in_git_and_an_ignored_one_is_not(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(".env\n")
    (tmp_path / ".env").write_text("TOKEN=x\n")
    (tmp_path / ".env.example").write_text("TOKEN=\n")
    os.system(f"git init -q {tmp_path}")  # noqa: S605 - fixed arguments, a temporary directory
    finding = {f.id: f for f in audit.audit(tmp_path).checks}["no-env-committed"]
    assert finding.passed is True
    os.system(f"git -C {tmp_path} add -f .env")  # noqa: S605
    finding = {f.id: f for f in audit.audit(tmp_path).checks}["no-env-committed"]
    assert finding.passed is False and finding.evidence.endswith(": .env")


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("python:3.11-slim", True),
        ("python", False),
        ("python:latest", False),
        ("registry:5000/team/app", False),
        ("registry:5000/team/app:1.2", True),
        ("python@sha256:" + "0" * 64, True),
        ("${BASE}", False),
    ],
)
def test_image_pinning(image: str, pinned: bool) -> None:
    assert audit.image_is_pinned(image) is pinned


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        audit.audit(tmp_path / "nope")


def test_unreadable_path_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)  # as for chmod 0, which root would ignore
    result = CliRunner().invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == f"Error: cannot audit {tmp_path}: Permission denied\n"


def test_cli_json_and_fail_under() -> None:
    runner = CliRunner()
    target = str(FIXTURES / "ml-partial")
    result = runner.invoke(app, ["audit", target, "--format", "json"])
    assert result.exit_code == 0, result.output
    score = json.loads(result.stdout)["score"]
    assert runner.invoke(app, ["audit", target, "--fail-under", str(score)]).exit_code == 0
    failed = runner.invoke(app, ["audit", target, "--fail-under", str(score + 1)])
    assert failed.exit_code == 1
    assert "## How to close the gaps" in failed.stdout


def test_cli_missing_path_and_bad_format() -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["audit", "/nonexistent/repo"])
    assert missing.exit_code == 2 and "Error: cannot audit /nonexistent/repo" in missing.output
    bad = runner.invoke(app, ["audit", str(FIXTURES / "ml-partial"), "--format", "xml"])
    assert bad.exit_code == 2 and "unknown format 'xml'" in bad.output


def test_a_hostile_repository_cannot_make_the_audit_read_outside_it_or_hang(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM python:3.11-slim\nUSER 10001\nHEALTHCHECK CMD true\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").symlink_to(outside / "Dockerfile")  # would pass the container checks
    os.mkfifo(repo / "Makefile")  # opening a FIFO for reading blocks until a writer comes
    (repo / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    findings = {f.id: f for f in audit.audit(repo).checks}
    assert findings["container-nonroot"].passed is False
    assert findings["container-healthcheck"].passed is False
    assert findings["ci-tests"].passed is False
