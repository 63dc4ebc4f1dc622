"""A tiny real scikit-learn churn model, exported to ONNX as training does, request payloads
for the API tests, a real SQLite MLflow registry, and ``serve`` run as a user runs it."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from contracts import (
    CATEGORICAL_FEATURES,
    CHANNELS,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    REGIONS,
    Settings,
    add_derived_features,
)
from serving.model import ModelHandle, OnnxChurnModel

API_KEY = "test-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret


def training_frame(rows: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Raw attributes with a clear signal: short tenure and low engagement churn."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure_months": rng.integers(0, 72, rows),
            "monthly_spend": rng.gamma(2.0, 30.0, rows),
            "engagement_score": rng.uniform(0, 1, rows),
            "support_tickets": rng.poisson(2.0, rows),
            "channel": rng.choice(CHANNELS, rows),
            "region": rng.choice(REGIONS, rows),
        }
    )
    logit = 2.0 - 0.08 * frame["tenure_months"] - 4.0 * frame["engagement_score"]
    label = pd.Series(rng.uniform(0, 1, rows) < 1 / (1 + np.exp(-logit)), name="churned")
    return add_derived_features(frame).loc[:, list(FEATURE_COLUMNS)], label


def fit_model() -> Pipeline:
    features, label = training_frame()
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression())]).fit(
        features, label
    )


@pytest.fixture(scope="session")
def sk_model() -> Pipeline:
    return fit_model()


def onnx_of(model: Pipeline) -> bytes:
    """``model`` exported exactly as training exports it at registration."""
    from training.onnx_export import to_onnx

    return to_onnx(model)


@pytest.fixture(scope="session")
def onnx_model(sk_model: Pipeline) -> bytes:
    return onnx_of(sk_model)


@pytest.fixture(scope="session")
def model_handle(onnx_model: bytes) -> ModelHandle:
    return ModelHandle(name="churn-test", version="7", model=OnnxChurnModel(onnx_model))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        environment="test",
        api_key=API_KEY,
        mlflow_tracking_uri=None,
        model_name="churn-test",
        max_request_bytes=4_096,
    )


def make_instance(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customer_id": "c-1",
        "tenure_months": 24,
        "monthly_spend": 49.5,
        "engagement_score": 0.6,
        "support_tickets": 1,
        "channel": "web",
        "region": "north",
    }
    return {**base, **overrides}


@pytest.fixture
def instance() -> Callable[..., dict[str, Any]]:
    return make_instance


def _scrape(app: Any) -> str:
    """The text /metrics serves for ``app`` on the metrics port."""
    from fastapi.testclient import TestClient

    from serving.app import create_metrics_app

    return TestClient(create_metrics_app(app)).get("/metrics").text


@pytest.fixture
def scrape() -> Callable[[Any], str]:
    return _scrape


class RegistryTools:
    """Register, promote and locate model versions in a real SQLite MLflow registry."""

    def __init__(self, settings: Settings) -> None:
        from mlflow import MlflowClient

        self.settings = settings
        self.client = MlflowClient(
            tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri
        )

    def register(self, model: Any, *, digest: bool = True, onnx: bytes | None = None) -> str:
        """Log ``model`` as training does (skops plus its ONNX export, or ``onnx`` if given)
        and register it, tagged with the digest of its files unless ``digest`` is False."""
        import tempfile

        import mlflow
        import mlflow.sklearn

        mlflow.set_tracking_uri(self.settings.tracking_uri)
        mlflow.set_registry_uri(self.settings.tracking_uri)
        experiment = self.client.get_experiment_by_name("serving-test")
        experiment_id = (
            experiment.experiment_id
            if experiment
            else self.client.create_experiment(
                "serving-test", artifact_location=self.settings.artifact_location
            )
        )
        name = self.settings.model_name
        with (
            tempfile.TemporaryDirectory() as scratch,
            mlflow.start_run(experiment_id=experiment_id),
        ):
            onnx_file = Path(scratch) / "model.onnx"
            onnx_file.write_bytes(onnx if onnx is not None else onnx_of(model))
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name=name,
                pip_requirements=[],
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
                extra_files=[str(onnx_file)],
            )
        version = str(info.registered_model_version)
        if digest:
            self.retag(version)
        return version

    def retag(self, version: str) -> None:
        """Record the digest of the version's files as they are now (as training does)."""
        from contracts.artifacts import ARTIFACT_DIGEST_TAG, artifact_digest

        value = artifact_digest(self.artifact_dir(version))
        self.client.set_model_version_tag(
            self.settings.model_name, version, ARTIFACT_DIGEST_TAG, value
        )

    def promote(self, version: str) -> None:
        self.client.set_registered_model_alias(self.settings.model_name, "champion", version)

    def artifact_dir(self, version: str) -> Path:
        """Where the registry keeps the files of ``version`` (a local file store in tests)."""
        from urllib.parse import unquote, urlparse

        source = self.client.get_model_version_download_uri(self.settings.model_name, version)
        return Path(unquote(urlparse(source).path))


@pytest.fixture(scope="session")
def empty_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, fully migrated SQLite MLflow store: migrating one takes seconds, copying none."""
    import os

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    database = tmp_path_factory.mktemp("registry") / "mlflow.db"
    uri = f"sqlite:///{database}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models()
    return database


@pytest.fixture
def registry_settings(tmp_path, monkeypatch: pytest.MonkeyPatch, empty_registry: Path) -> Settings:
    """A real SQLite MLflow registry under tmp_path; the cwd moves there too."""
    import shutil

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlflow").mkdir()
    shutil.copyfile(empty_registry, tmp_path / "mlflow" / "mlflow.db")
    return Settings(
        data_dir=tmp_path,
        environment="test",
        api_key=API_KEY,
        mlflow_tracking_uri=None,
        model_name="churn-registry-test",
        model_poll_seconds=0,
    )


@pytest.fixture
def registry(registry_settings: Settings) -> RegistryTools:
    return RegistryTools(registry_settings)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"X-API-Key": API_KEY})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


_SAMPLE = re.compile(r"^([a-z_]+)(?:\{([^}]*)\})? (\S+)$", re.MULTILINE)


def parse_metrics(text: str) -> dict[str, float]:
    """Every sample of a /metrics text, by name and labels in alphabetical order
    (``name{a="b",c="d"}``), whatever order the exporter wrote them in."""
    samples = {}
    for name, labels, value in _SAMPLE.findall(text):
        key = name
        if labels:
            key += "{" + ",".join(sorted(re.findall(r'[a-z_]+="[^"]*"', labels))) + "}"
        samples[key] = float(value)
    return samples


def serve_command() -> list[str]:
    """The project's ``serve`` console script (whichever module the API style installs)."""
    (script,) = entry_points(group="console_scripts", name="serve")
    return [
        sys.executable,
        "-c",
        f"import sys; from {script.module} import {script.attr}; sys.exit({script.attr}())",
    ]


SERVE_WORKERS = 2


@dataclass
class ServedWorkers:
    """A real ``serve`` with ``SERVE_WORKERS`` worker processes, on free localhost ports."""

    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int

    def metrics(self) -> dict[str, float]:
        """What /metrics (in the supervising process) reports; {} while it does not answer."""
        try:
            status, text = http_get(self.metrics_port, "/metrics")
        except OSError:
            return {}
        assert status == 200
        return parse_metrics(text)

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.port, path)

    def post_json(self, path: str, payload: Any) -> tuple[int, Any]:
        """POST ``payload`` with the API key on a new connection, so that the kernel spreads
        the calls over the workers; the status and the decoded JSON answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(
                "POST",
                path,
                body=json.dumps(payload),
                headers={"X-API-Key": API_KEY, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"serve exited with {self.process.returncode}"
            try:
                if condition():
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.2)

    def settled(self, sample: str, expected: float, timeout: float = 10) -> dict[str, float]:
        """The metrics once ``sample`` reads ``expected``: each worker records a request just
        after answering it, so the last ones may land a moment after the client is done."""
        deadline = time.monotonic() + timeout
        while (metrics := self.metrics()).get(sample) != expected:
            assert time.monotonic() < deadline, f"{sample} = {metrics.get(sample)}"
            time.sleep(0.1)
        return metrics

    def worker_pids(self) -> list[int]:
        """The worker processes of the supervisor (multiprocessing's spawn children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def served_workers(
    registry_settings: Settings, registry: RegistryTools, sk_model: Pipeline, tmp_path: Path
) -> Iterator[ServedWorkers]:
    """``serve`` with two workers on the champion of a real registry, ready on every worker."""
    registry.promote(registry.register(sk_model))
    env = {
        **os.environ,
        "APP_DATA_DIR": str(registry_settings.data_dir),
        "APP_ENVIRONMENT": "test",
        "APP_API_KEY": API_KEY,
        "APP_MODEL_NAME": registry_settings.model_name,
        "APP_MODEL_POLL_SECONDS": "0",
        "APP_RATE_LIMIT_PER_SECOND": "0",
        "APP_METRICS_PORT": str(free_port()),
        "APP_WORKERS": str(SERVE_WORKERS),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    process = subprocess.Popen([*serve_command(), "--port", str(port)], cwd=tmp_path, env=env)
    served = ServedWorkers(process, port, int(env["APP_METRICS_PORT"]))
    try:
        # Ready once every worker loaded the model. model_loaded, the least of the workers',
        # alone would not do: a worker still starting has written nothing yet.
        served.wait_for(lambda: served.metrics().get("model_loaded_workers") == SERVE_WORKERS)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)
