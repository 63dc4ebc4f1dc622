"""A tiny real scikit-learn churn model, exported to ONNX as training does, and request
payloads for the API tests."""

from collections.abc import Callable
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
