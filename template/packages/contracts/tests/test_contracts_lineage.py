"""Lineage records: readable back, written atomically, with a code version that never fails."""

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts import LineageRecord, Settings, lineage


def _record(**parameters: str | int | float | bool) -> LineageRecord:
    now = datetime.now(UTC)
    return LineageRecord(
        run_id=lineage.new_run_id(),
        step="test",
        started_at=now,
        finished_at=now,
        inputs=["in.parquet"],
        outputs=["out.parquet"],
        code_version="abc1234",
        parameters=parameters,
    )


def test_write_lineage_names_the_file_after_the_run(tmp_path: Path) -> None:
    record = _record(rows=3, accepted=True, share=0.5, day="2024-01-01")

    path = lineage.write_lineage(record, tmp_path / "lineage")

    assert path == tmp_path / "lineage" / f"{record.run_id}.json"
    assert len(record.run_id) == 32
    assert LineageRecord.model_validate_json(path.read_text()) == record
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert lineage.new_run_id() != record.run_id


def test_undefined_metrics_are_kept_as_text_so_the_record_reads_back(tmp_path: Path) -> None:
    record = _record(roc_auc=float("nan"), f1=float("inf"), accuracy=0.5, promoted=False)

    path = lineage.write_lineage(record, tmp_path)

    stored = json.loads(path.read_text())["parameters"]
    assert stored == {"roc_auc": "nan", "f1": "inf", "accuracy": 0.5, "promoted": False}
    assert LineageRecord.model_validate_json(path.read_text()).parameters["promoted"] is False


def test_code_version_prefers_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_CODE_VERSION", " abc1234 ")
    monkeypatch.setattr(lineage.shutil, "which", lambda _: pytest.fail("git must not run"))
    assert lineage.code_version(Settings()) == "abc1234"


def test_code_version_without_setting_or_git_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: None)
    assert lineage.code_version(Settings()) == "unknown"


def test_code_version_falls_back_to_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_CODE_VERSION", "unknown")
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")

    def git(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert argv[1:] == ["rev-parse", "--short", "HEAD"]
        return subprocess.CompletedProcess(argv, 0, stdout="1a2b3c4\n", stderr="")

    monkeypatch.setattr(lineage.subprocess, "run", git)
    assert lineage.code_version(Settings()) == "1a2b3c4"


@pytest.mark.parametrize(
    "failure",
    [subprocess.TimeoutExpired(cmd="git", timeout=5), OSError("exec format error")],
)
def test_code_version_survives_a_failing_git(
    monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")

    def broken_git(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(lineage.subprocess, "run", broken_git)
    assert lineage.code_version(Settings()) == "unknown"


def test_code_version_ignores_git_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")
    monkeypatch.setattr(
        lineage.subprocess,
        "run",
        lambda argv, **kwargs: subprocess.CompletedProcess(argv, 128, stdout="", stderr="fatal"),
    )
    assert lineage.code_version(Settings()) == "unknown"
