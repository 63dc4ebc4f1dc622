"""Synthetic feature tables shaped like the features service output, with a known signal."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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
