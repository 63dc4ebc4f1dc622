"""A migrated MLflow store to start from: migrating a new SQLite store takes seconds, copying one
none. Only tests whose claim is not "a first run creates the store" use it; the first test of
``test_pipeline.py`` still runs the pipeline on an empty data folder, as a new user does."""

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def empty_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    database = tmp_path_factory.mktemp("registry") / "mlflow.db"
    uri = f"sqlite:///{database}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models()
    return database


@pytest.fixture
def migrated_registry(empty_registry: Path, tmp_path: Path) -> Path:
    """Where ``Settings(data_dir=tmp_path / "data")`` finds a copy of the migrated store."""
    target = tmp_path / "data" / "mlflow" / "mlflow.db"
    target.parent.mkdir(parents=True)
    shutil.copyfile(empty_registry, target)
    return target
