"""Synthetic feature tables shaped like the features service output, with a known signal,
and the shared costs of the training tests paid once: a migrated MLflow store, one OpenMP thread.
"""

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from contracts import CHANNELS, LABEL_COLUMN, REGIONS, add_derived_features, partition_dir
from contracts.lake import verify_partition, write_dataset_partition

FeatureFactory = Callable[..., pd.DataFrame]


def _features(rows: int = 800, seed: int = 0, *, shuffle_labels: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c-{i:05d}" for i in range(rows)],
            "tenure_months": rng.integers(0, 72, rows),
            "monthly_spend": rng.gamma(2.0, 30.0, rows).round(2),
            "engagement_score": rng.uniform(0, 1, rows).round(3),
            "support_tickets": rng.poisson(2.0, rows),
            "channel": rng.choice(CHANNELS, rows),
            "region": rng.choice(REGIONS, rows),
        }
    )
    logit = (
        2.0
        - 0.08 * frame["tenure_months"]
        - 4.0 * frame["engagement_score"]
        + 0.6 * frame["support_tickets"]
        + 1.0 * (frame["channel"] == "partner")
    )
    churned = rng.uniform(0, 1, rows) < 1 / (1 + np.exp(-logit))
    if shuffle_labels:
        # Same class balance, no relation to the features: no model can beat chance.
        churned = rng.permutation(churned)
    frame[LABEL_COLUMN] = churned
    return add_derived_features(frame)


@pytest.fixture
def make_features() -> FeatureFactory:
    return _features


def write_partition(features_dir: Path, frame: pd.DataFrame, day: date) -> Path:
    """Write ``frame`` as the features job does: a raw partition of the same day, then the
    feature partition whose manifest records the raw manifest's sha256 (its lineage).
    """
    lake_dir = features_dir.parent.parent
    raw = partition_dir(lake_dir / "raw" / "customers", day)
    write_dataset_partition(
        frame.drop(columns=["tickets_per_year", "spend_per_engagement"]),
        raw,
        "part-0000.parquet",
        dataset="raw/customers",
        source="test",
    )
    raw_ref = verify_partition(raw).upstream_ref()
    return write_dataset_partition(
        frame,
        partition_dir(features_dir, day),
        "features.parquet",
        dataset="features/customers",
        source="test",
        upstream=[raw_ref],
    )


@pytest.fixture(scope="session")
def write_features() -> Callable[[Path, pd.DataFrame, date], Path]:
    return write_partition


@pytest.fixture(scope="session")
def good_features() -> pd.DataFrame:
    return _features()


@pytest.fixture(scope="session")
def noisy_features() -> pd.DataFrame:
    return _features(seed=1, shuffle_labels=True)


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_fit() -> Iterator[None]:
    """Fit on one OpenMP/BLAS thread in this process. On a shared CI machine, gradient boosting
    with a thread per core spins its threads against every other job: 5 s per fit of these
    800 rows at load 4 instead of 0.1 s. What a model learns does not depend on this limit."""
    with threadpool_limits(limits=1):
        yield


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


def copy_registry(empty_registry: Path, data_dir: Path) -> None:
    """Start ``data_dir`` with a copy of the migrated store, where ``Settings`` looks for it."""
    (data_dir / "mlflow").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_registry, data_dir / "mlflow" / "mlflow.db")


@pytest.fixture(scope="session")
def new_registry(empty_registry: Path) -> Callable[[Path], None]:
    return lambda data_dir: copy_registry(empty_registry, data_dir)
