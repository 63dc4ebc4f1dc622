"""Training killed at the worst moments: the registry, the champion alias, the drift reference
and the lineage stay consistent, and the next run repairs what a SIGKILL left.

Each fault test runs ``train`` in a subprocess with one step patched to pause (or die) at a
precise point, then sends the signal for real.
"""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from mlflow import MlflowClient

from contracts import Settings, lineage
from contracts.cli import ExitCode

MODEL_NAME = "churn-crash"
# argv[1]: file to touch when the patched step is reached; argv[2]: module.function to patch;
# argv[3]: "pause" (sleep, then run it: a signal lands mid-step) or "die" (run it, then SIGKILL).
_FAULTY_TRAIN = """
import importlib, os, signal, sys, time
from pathlib import Path

ready, target, mode = sys.argv[1:4]
module_name, name = target.rsplit(".", 1)
module = importlib.import_module(module_name)
original = getattr(module, name)

def faulty(*args, **kwargs):
    Path(ready).touch()
    if mode == "pause":
        time.sleep(float(os.environ.get("PAUSE_SECONDS", "3")))
        return original(*args, **kwargs)
    result = original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(module, name, faulty)
from training.__main__ import main
sys.exit(main([]))
"""


@dataclass
class Killed:
    returncode: int
    stderr: str


@pytest.fixture
def settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_features, write_features
) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.setenv("APP_MODEL_NAME", MODEL_NAME)
    monkeypatch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
    settings = Settings()
    write_features(settings.features_dir, good_features, date(2024, 1, 2))
    return settings


@pytest.fixture
def client(settings: Settings) -> MlflowClient:
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def _train_in_process() -> int:
    from training.__main__ import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main([])


def _run_faulty(tmp_path: Path, target: str, mode: str, send: signal.Signals | None) -> Killed:
    ready = tmp_path / f"ready-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-c", _FAULTY_TRAIN, str(ready), target, mode],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"training never reached {target}"
        time.sleep(0.05)
    if send is not None:
        process.send_signal(send)
    _, err = process.communicate(timeout=120)
    return Killed(process.returncode, err)


def _assert_consistent(settings: Settings, client: MlflowClient) -> str:
    """Every version has a gate decision; the reference and its lineage match the alias."""
    for version in client.search_model_versions(f"name = '{MODEL_NAME}'"):
        assert version.tags.get("quality_gate") in {"passed", "failed"}, version.version
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    metadata = pq.read_schema(settings.reference_path).metadata
    assert metadata[b"reference.model_version"] == str(champion.version).encode()
    assert metadata[b"reference.model_name"] == MODEL_NAME.encode()
    # The champion's training run completed (itself, or through the next run's recovery) with
    # the model version and the reference as outputs.
    reference = settings.reference_path.parent.relative_to(settings.lake_dir).as_posix()
    model = f"models:/{MODEL_NAME}/{champion.version}"
    [complete] = [
        events[-1]
        for events in lineage.job_runs(settings.lineage_dir, "training")
        if model in [item["name"] for item in events[-1]["outputs"]]
    ]
    assert complete["eventType"] == "COMPLETE"
    assert reference in [item["name"] for item in complete["outputs"]]
    leftovers = [p.name for p in settings.reference_root.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert not list(settings.lineage_dir.glob(".*"))
    return str(champion.version)


def test_sigterm_during_training_marks_the_run_failed_and_registers_nothing(
    tmp_path: Path, settings: Settings, client: MlflowClient
) -> None:
    assert _train_in_process() == 0
    killed = _run_faulty(tmp_path, "training.trainer.evaluate", "pause", signal.SIGTERM)

    assert killed.returncode == ExitCode.TERMINATED
    assert killed.stderr.strip().splitlines()[-1].startswith("train: error: terminated by SIGTERM")
    assert "Traceback" not in killed.stderr
    runs = client.search_runs(
        [client.get_experiment_by_name(MODEL_NAME).experiment_id], order_by=["start_time DESC"]
    )
    assert [run.info.status for run in runs] == ["FAILED", "FINISHED"]
    assert len(client.search_model_versions(f"name = '{MODEL_NAME}'")) == 1
    assert _assert_consistent(settings, client) == "1"
    [_, stopped] = lineage.job_runs(settings.lineage_dir, "training")
    assert [event["eventType"] for event in stopped] == ["START", "FAIL"]
    message = stopped[-1]["run"]["facets"]["errorMessage"]["message"]
    assert message == "Terminated: terminated by SIGTERM"


def test_sigterm_during_promotion_finishes_it_first(
    tmp_path: Path, settings: Settings, client: MlflowClient
) -> None:
    assert _train_in_process() == 0
    killed = _run_faulty(tmp_path, "training.tracking.record_gate", "pause", signal.SIGTERM)

    assert killed.returncode == ExitCode.TERMINATED, killed.stderr
    assert _assert_consistent(settings, client) == "2"
    # Held until the promotion was complete: the run completed, the signal came after.
    [_, promoted] = lineage.job_runs(settings.lineage_dir, "training")
    assert [event["eventType"] for event in promoted] == ["START", "COMPLETE"]
    second = client.get_model_version(MODEL_NAME, "2")
    assert client.get_run(second.run_id).info.status == "FINISHED"


def test_sigkill_after_the_alias_moved_is_rolled_forward_on_the_next_start(
    tmp_path: Path, settings: Settings, client: MlflowClient
) -> None:
    from training import promotion, tracking

    assert _train_in_process() == 0
    killed = _run_faulty(tmp_path, "training.tracking.promote", "die", None)
    assert killed.returncode == -signal.SIGKILL
    assert tracking.champion_version(client, MODEL_NAME) == "2"
    assert promotion.journal_path(settings).is_file(), "the kill landed mid-promotion"

    repairs = promotion.recover(client, settings)

    assert repairs[0] == "completed the promotion of version 2"
    assert _assert_consistent(settings, client) == "2"
    # The killed run's lineage was completed by the recovery, in a file of its own.
    [_, killed_run] = lineage.job_runs(settings.lineage_dir, "training")
    assert [event["eventType"] for event in killed_run] == ["START", "COMPLETE"]
    assert sorted(settings.lineage_dir.glob(f"{killed_run[0]['run']['runId']}.*")) == [
        settings.lineage_dir / f"{killed_run[0]['run']['runId']}.jsonl",
        settings.lineage_dir / f"{killed_run[0]['run']['runId']}.recovery.jsonl",
    ]


def test_sigkill_before_the_gate_tag_leaves_no_undecided_version(
    tmp_path: Path, settings: Settings, client: MlflowClient
) -> None:
    assert _train_in_process() == 0
    killed = _run_faulty(tmp_path, "training.tracking.log_and_register", "die", None)
    assert killed.returncode == -signal.SIGKILL
    assert "quality_gate" not in client.get_model_version(MODEL_NAME, "2").tags

    assert _train_in_process() == 0

    second = client.get_model_version(MODEL_NAME, "2")
    assert second.tags["quality_gate"] == "failed"
    assert second.tags["quality_gate_reason"] == "interrupted before the quality gate decision"
    assert client.get_run(second.run_id).info.status == "FAILED"
    assert _assert_consistent(settings, client) == "3"


def test_two_model_names_keep_their_own_drift_reference(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _train_in_process() == 0
    first = settings.reference_path
    first_bytes = first.read_bytes()

    monkeypatch.setenv("APP_MODEL_NAME", "churn-other")
    other = Settings()
    assert _train_in_process() == 0

    assert other.reference_path != first
    assert first.read_bytes() == first_bytes
    assert pq.read_schema(other.reference_path).metadata[b"reference.model_name"] == b"churn-other"
    assert pq.read_schema(first).metadata[b"reference.model_name"] == MODEL_NAME.encode()
