"""Training killed at the worst moments: the registry, the champion alias, the drift reference
and the lineage stay consistent, and the next run repairs what a SIGKILL left.

Each fault test runs ``train`` in a separate process with one step patched to pause (or die)
at a precise point, then sends the signal for real. The processes are forked from one helper
process that imported the training stack (mlflow, scikit-learn, ONNX) once for the module: each
fault run is still a process of its own that installs its own signal handlers, is signalled or
killed for real, and leaves the registry as a killed ``train`` would. The helper trains once
in a scratch store of its own before forking, so that what a run imports on first use (ONNX,
skops, MLflow's model flavours) is imported once too. The first, complete ``train`` every
test starts from is run once for the module too; each test gets a fresh copy of what it left.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from mlflow import MlflowClient

from contracts import Settings, lineage
from contracts.cli import ExitCode

MODEL_NAME = "churn-crash"
# Reads one JSON job per stdin line and forks a training run for it; prints the child's pid,
# then its exit code (negative: the signal that ended it). A job patches ``target``
# (module.function) to touch ``ready`` when reached, then with mode "pause" to wait until the
# test has sent its signal (``sent`` exists) before running the step, so the signal lands
# mid-step; with mode "die" to run the step, then SIGKILL itself.
_FORK_SERVER = """
import contextlib, importlib, io, json, os, signal, sys, time, traceback
from pathlib import Path

from training.__main__ import main
from training.model import DEFAULT_MODEL_KIND, MODEL_KINDS

# TensorFlow's runtime threads and OpenMP's (gradient boosting) do not survive fork(): warm up
# on a model that starts none, so each forked run starts them itself, as a fresh `train` does
# (k-means too: the fork server runs one OpenMP thread, which starts no pool; pricing's
# log-linear demand model is a closed-form ridge fit; a recommender's truncated SVD is
# numpy on one BLAS thread, its PyTorch factorisation runs on one thread like the MLP).
# Without a fork-safe kind (segmentation's Keras autoencoder) every forked run starts cold.
FORK_SAFE = (
    "logistic_regression",
    "ridge",
    "mlp",
    "autoencoder",
    "kmeans",
    "loglinear",
    "truncated_svd",
    "torch_mf",
)
WARM_UP = (
    []
    if DEFAULT_MODEL_KIND in FORK_SAFE
    else next((["--model", kind] for kind in MODEL_KINDS if kind in FORK_SAFE), None)
)
if WARM_UP is not None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(WARM_UP) == 0, "the warm-up run in the scratch store failed"


def train(job):
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.dup2(os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    module_name, name = job["target"].rsplit(".", 1)
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    def faulty(*args, **kwargs):
        Path(job["ready"]).touch()
        if job["mode"] == "pause":
            while not Path(job["sent"]).exists():
                time.sleep(0.01)
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, faulty)
    try:
        code = main([])
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        train(json.loads(line))
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
os._exit(0)  # stdin closed: skip the interpreter's teardown of everything imported
"""


@dataclass
class Killed:
    returncode: int
    stderr: str


def _use(patch: pytest.MonkeyPatch, data_dir: Path) -> Settings:
    patch.setenv("APP_DATA_DIR", str(data_dir))
    patch.setenv("APP_ENVIRONMENT", "test")
    patch.setenv("APP_MODEL_NAME", MODEL_NAME)
    patch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
    return Settings()


@dataclass(frozen=True)
class FirstRun:
    data_dir: Path
    snapshot: Path


@pytest.fixture(scope="module")
def first_run(
    tmp_path_factory: pytest.TempPathFactory, good_features, write_features, new_registry
) -> FirstRun:
    """A completed first ``train`` (version 1, the champion, its drift reference and lineage),
    run once for the module; each test starts from a copy of the data folder it left."""
    root = tmp_path_factory.mktemp("first-run")
    with pytest.MonkeyPatch.context() as patch:
        settings = _use(patch, root / "data")
        new_registry(settings.data_dir)
        write_features(settings.features_dir, good_features, date(2024, 1, 2))
        assert _train_in_process() == 0
    shutil.copytree(settings.data_dir, root / "snapshot")
    return FirstRun(settings.data_dir, root / "snapshot")


def _restore(first_run: FirstRun) -> None:
    """The data folder as the first run left it, at the same path: the registry records its
    artifacts by absolute path. The SQLite store is overwritten in place, not replaced: this
    process keeps one MLflow store (and its open connections) per tracking URI."""
    data, registry = first_run.data_dir, first_run.data_dir / "mlflow" / "mlflow.db"
    for folder in (data, registry.parent):
        for path in folder.iterdir():
            if path not in (registry, registry.parent):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(first_run.snapshot, data, dirs_exist_ok=True, copy_function=shutil.copyfile)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, first_run: FirstRun) -> Settings:
    """After one completed ``train``: version 1 is the champion."""
    _restore(first_run)
    return _use(monkeypatch, first_run.data_dir)


@pytest.fixture(scope="module")
def fork_server(
    tmp_path_factory: pytest.TempPathFactory, good_features, write_features, new_registry
) -> Iterator[subprocess.Popen[str]]:
    scratch = tmp_path_factory.mktemp("fork-server")
    env = {
        **os.environ,
        "APP_DATA_DIR": str(scratch),
        "APP_ENVIRONMENT": "test",
        "APP_MODEL_NAME": "warm-up",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # An OpenMP thread pool (libgomp under PyTorch's and scikit-learn's kernels) does not
        # survive fork(): a forked run's first parallel kernel waits for the parent's threads
        # forever. One thread per runtime means no pool is ever started in this process.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    env.pop("APP_MLFLOW_TRACKING_URI", None)
    warm_up = Settings(data_dir=scratch, environment="test", mlflow_tracking_uri=None)
    new_registry(warm_up.data_dir)
    write_features(warm_up.features_dir, good_features, date(2024, 1, 1))
    process = subprocess.Popen(
        [sys.executable, "-c", _FORK_SERVER],
        cwd=scratch,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


@pytest.fixture
def client(settings: Settings) -> MlflowClient:
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def _train_in_process() -> int:
    from training.__main__ import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main([])


def _running(pid: int) -> bool:
    """Whether the forked run has not ended yet (the fork server reaps it when it does)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _run_faulty(
    server: subprocess.Popen[str],
    tmp_path: Path,
    target: str,
    mode: str,
    send: signal.Signals | None,
) -> Killed:
    assert server.stdin is not None and server.stdout is not None
    files = {name: tmp_path / f"{name}-{time.monotonic_ns()}" for name in ("ready", "sent", "err")}
    job = {
        "target": target,
        "mode": mode,
        "ready": str(files["ready"]),
        "sent": str(files["sent"]),
        "stderr": str(files["err"]),
        "cwd": str(Path.cwd()),
        "env": dict(os.environ),
    }
    server.stdin.write(json.dumps(job) + "\n")
    server.stdin.flush()
    line = server.stdout.readline()
    assert line, f"the fork server ended with {server.poll()}"
    pid = int(line)
    # A hang guard, not a speed goal: a loaded machine importing TensorFlow can take minutes.
    deadline = time.monotonic() + 600
    while not files["ready"].exists():
        assert _running(pid), f"training ended before {target}: {files['err'].read_text()}"
        assert time.monotonic() < deadline, f"training never reached {target}"
        time.sleep(0.01)
    if send is not None:
        os.kill(pid, send)
    files["sent"].touch()
    returncode = int(server.stdout.readline())
    return Killed(returncode, files["err"].read_text())


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
    tmp_path: Path, settings: Settings, client: MlflowClient, fork_server
) -> None:
    killed = _run_faulty(
        fork_server, tmp_path, "training.trainer.evaluation_of", "pause", signal.SIGTERM
    )

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
    tmp_path: Path, settings: Settings, client: MlflowClient, fork_server
) -> None:
    killed = _run_faulty(
        fork_server, tmp_path, "training.tracking.record_gate", "pause", signal.SIGTERM
    )

    assert killed.returncode == ExitCode.TERMINATED, killed.stderr
    assert _assert_consistent(settings, client) == "2"
    # Held until the promotion was complete: the run completed, the signal came after.
    [_, promoted] = lineage.job_runs(settings.lineage_dir, "training")
    assert [event["eventType"] for event in promoted] == ["START", "COMPLETE"]
    second = client.get_model_version(MODEL_NAME, "2")
    assert client.get_run(second.run_id).info.status == "FINISHED"


def test_sigkill_after_the_alias_moved_is_rolled_forward_on_the_next_start(
    tmp_path: Path, settings: Settings, client: MlflowClient, fork_server
) -> None:
    from training import promotion, tracking

    killed = _run_faulty(fork_server, tmp_path, "training.tracking.promote", "die", None)
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
    tmp_path: Path, settings: Settings, client: MlflowClient, fork_server
) -> None:
    killed = _run_faulty(fork_server, tmp_path, "training.tracking.log_and_register", "die", None)
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
    first = settings.reference_path
    first_bytes = first.read_bytes()

    monkeypatch.setenv("APP_MODEL_NAME", "churn-other")
    other = Settings()
    assert _train_in_process() == 0

    assert other.reference_path != first
    assert first.read_bytes() == first_bytes
    assert pq.read_schema(other.reference_path).metadata[b"reference.model_name"] == b"churn-other"
    assert pq.read_schema(first).metadata[b"reference.model_name"] == MODEL_NAME.encode()
