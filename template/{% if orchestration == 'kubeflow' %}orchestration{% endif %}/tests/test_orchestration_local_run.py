"""The whole pipeline on KFP's local runner: the same steps, in order, on a laptop."""

import json
from pathlib import Path

import pytest

from kfp_pipeline.local import run_locally
from kfp_pipeline.steps import STEPS


def test_the_pipeline_runs_end_to_end_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("APP_DATA_DIR", str(data))
    monkeypatch.setenv("APP_N_ROWS", "2000")
    lake, reports = data / "lake", data / "reports"
    run_locally(str(lake), str(reports), tmp_path / "kfp")
    assert list((lake / "features" / "customers").rglob("*.parquet"))
    assert list(reports.rglob("*"))
    # Each step ran as its own job: one OpenLineage COMPLETE event per job at least.
    events = [
        json.loads(line)
        for path in (lake / "lineage").rglob("*")
        if path.is_file()
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    completed = {event["job"]["name"] for event in events if event["eventType"] == "COMPLETE"}
    assert len(completed) >= len({step.service for step in STEPS})
