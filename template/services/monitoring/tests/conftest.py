"""Synthetic feature batches shaped like the real feature table."""

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from contracts import CHANNELS, REGIONS, Settings, add_derived_features, get_settings
from contracts.lake import write_dataset_partition


def build_features(rows: int = 2_000, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    """A feature batch; ``shift`` in 0..1 moves spend up and customers onto the web channel."""
    rng = np.random.default_rng(seed)
    web_share = 0.25 + 0.7 * shift
    others = (1 - web_share) / 3
    frame = pd.DataFrame(
        {
            "customer_id": [f"c-{i}" for i in range(rows)],
            "tenure_months": rng.integers(0, 72, rows),
            "monthly_spend": rng.gamma(2.0, 30.0, rows) * (1 + 3 * shift),
            "engagement_score": rng.beta(2, 3, rows),
            "support_tickets": rng.poisson(2, rows),
            "channel": rng.choice(CHANNELS, rows, p=[web_share, others, others, others]),
            "region": rng.choice(REGIONS, rows),
            "churned": rng.random(rows) < 0.2,
        }
    )
    return add_derived_features(frame)


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings rooted in tmp_path, as the CLI sees them through the environment."""
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("APP_DRIFT_THRESHOLD", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def store_parquet(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def store_reference(frame: pd.DataFrame, settings: Settings) -> Path:
    """The drift reference as training publishes it: its own folder with a manifest."""
    path = settings.reference_path
    write_dataset_partition(
        frame, path.parent, path.name, dataset="reference/customers/test", source="test"
    )
    return path


@pytest.fixture()
def write_reference(settings: Settings) -> Callable[[pd.DataFrame], Path]:
    return lambda frame: store_reference(frame, settings)


@pytest.fixture()
def make_features() -> Callable[..., pd.DataFrame]:
    return build_features


@pytest.fixture()
def write_parquet() -> Callable[[pd.DataFrame, Path], Path]:
    return store_parquet
