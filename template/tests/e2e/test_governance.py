"""GDPR end to end: the real pipeline, a customer erased, and the pipeline still working."""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, get_settings, lineage
from contracts.governance import forget_main
from contracts.privacy import pseudonym, pseudonymisation_key

DAY = "2026-01-01"


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_N_ROWS", "2000")
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


def _files_holding(root: Path, values: set[str]) -> list[str]:
    """Files under ``root`` whose bytes, or whose parquet cells, hold one of ``values``."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        cells: set[str] = set()
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            cells = {str(value) for column in frame.columns for value in frame[column].tolist()}
        content = path.read_bytes()
        if cells & values or any(value.encode() in content for value in values):
            found.append(str(path.relative_to(root)))
    return found


def test_a_forgotten_customer_is_in_no_file_and_the_pipeline_still_runs(
    workspace: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from features.__main__ import main as build_features
    from ingestion.__main__ import main as ingest
    from monitoring.__main__ import main as drift_report
    from training.__main__ import main as train

    assert ingest(["--date", DAY]) == 0
    assert build_features([]) == 0
    assert train([]) == 0
    # A customer whose rows were both accepted and quarantined (a duplicated id).
    quarantine = pd.read_parquet(next(workspace.quarantine_dir.rglob("rejected.parquet")))
    customer = str(quarantine["customer_id"].dropna().iloc[0])
    subject = pseudonym(customer, pseudonymisation_key(workspace))
    data = workspace.data_dir
    secrets = {str(path.relative_to(data)) for path in (data / "secrets").iterdir()}
    assert set(_files_holding(data, {customer, subject})) - secrets, "the test needs data"

    assert forget_main([customer, "--requested-by", "dpo"]) == 0

    # Lake, MLflow store and reports: no file holds the id or its pseudonym.
    assert _files_holding(data / "lake", {customer, subject}) == []
    assert set(_files_holding(data, {customer, subject})) == set()
    # The erased lake is consistent: training verifies it, drift reads it, a new day flows.
    assert train([]) == 0
    assert drift_report([]) == 0
    assert ingest(["--date", "2026-01-02"]) == 0
    assert build_features([]) == 0
    assert drift_report([]) == 0
    runs = {
        job: [events[-1]["eventType"] for events in lineage.job_runs(workspace.lineage_dir, job)]
        for job in ("ingestion", "features", "training", "drift", "forget-customer")
    }
    assert runs == {
        "ingestion": ["COMPLETE", "COMPLETE"],
        "features": ["COMPLETE", "COMPLETE"],
        "training": ["COMPLETE", "COMPLETE"],
        "drift": ["COMPLETE", "COMPLETE"],
        "forget-customer": ["COMPLETE"],
    }
    capsys.readouterr()
