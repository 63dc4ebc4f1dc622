"""Raw partitions built by hand: features tests must not depend on the ingestion service."""

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from contracts import CHANNELS, REGIONS, DatasetManifest, Settings, partition_dir

DAY = date(2024, 2, 1)
WriteRaw = Callable[..., Path]
MakeCustomers = Callable[[int], pd.DataFrame]


def _customers(n_rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n_rows)],
            "tenure_months": [i % 60 for i in range(n_rows)],
            "monthly_spend": [10.0 + i for i in range(n_rows)],
            "engagement_score": [(i % 11) / 10 for i in range(n_rows)],
            "support_tickets": [i % 5 for i in range(n_rows)],
            "channel": [CHANNELS[i % len(CHANNELS)] for i in range(n_rows)],
            "region": [REGIONS[i % len(REGIONS)] for i in range(n_rows)],
            "churned": [i % 3 == 0 for i in range(n_rows)],
        }
    )


@pytest.fixture
def make_customers() -> MakeCustomers:
    """Factory of valid raw rows with every channel and region represented."""
    return _customers


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_CODE_VERSION", "test-sha")
    return Settings()


@pytest.fixture
def write_raw(settings: Settings) -> WriteRaw:
    """Write ``frame`` as a raw partition with a correct manifest, like ingestion does."""

    def write(frame: pd.DataFrame, day: date = DAY) -> Path:
        partition = partition_dir(settings.raw_dir, day)
        partition.mkdir(parents=True, exist_ok=True)
        data_path = partition / "part-0000.parquet"
        frame.to_parquet(data_path, index=False)
        manifest = DatasetManifest(
            dataset="raw/customers",
            path=str(data_path),
            row_count=len(frame),
            columns={str(c): str(t) for c, t in frame.dtypes.items()},
            sha256=hashlib.sha256(data_path.read_bytes()).hexdigest(),
            created_at=datetime.now(UTC),
            source="test",
        )
        (partition / "_manifest.json").write_text(manifest.model_dump_json())
        return partition

    return write
