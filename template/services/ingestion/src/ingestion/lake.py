"""Landing a batch in the raw zone: one parquet file plus its manifest, swapped in atomically."""

import logging
from datetime import date
from pathlib import Path

import pandas as pd

from contracts.lake import clean_leftovers, partition_dir, write_dataset_partition

DATASET_NAME = "raw/customers"
DATA_FILE = "part-0000.parquet"
JOB = "ingestion"
logger = logging.getLogger(__name__)


def write_raw_partition(frame: pd.DataFrame, raw_dir: Path, day: date, source: str) -> Path:
    """Write ``frame`` as the ``day`` partition of ``raw_dir`` and return the partition folder.

    An existing partition for the same day is replaced as a whole, so re-running a day never
    leaves stale files behind. The manifest records the parquet's sha256 so consumers can prove
    they read exactly what was written.
    """
    # A run killed mid-write (SIGKILL, node loss) leaves hidden staging folders behind.
    for leftover in clean_leftovers(raw_dir):
        logger.warning("cleaned up %s, left by an interrupted run", leftover)
    target = partition_dir(raw_dir, day)
    write_dataset_partition(frame, target, DATA_FILE, dataset=DATASET_NAME, source=source)
    return target
