"""The data lake layout every service agrees on: date partitions under one root per dataset."""

from datetime import date
from pathlib import Path

PARTITION_KEY = "ingestion_date"


def partition_dir(root: Path, day: date) -> Path:
    """Folder of one date partition, Hive-style (``ingestion_date=YYYY-MM-DD``)."""
    return root / f"{PARTITION_KEY}={day.isoformat()}"


def latest_partition(root: Path) -> Path:
    """Newest date partition under ``root``; raises FileNotFoundError when there is none."""
    partitions = sorted(p for p in root.glob(f"{PARTITION_KEY}=*") if p.is_dir())
    if not partitions:
        raise FileNotFoundError(f"no {PARTITION_KEY}=* partition under {root}")
    return partitions[-1]
