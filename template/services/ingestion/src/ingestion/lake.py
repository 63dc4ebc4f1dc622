"""Landing a batch in the raw zone: one parquet file plus its manifest, swapped in atomically,
and a lineage record of the run.
"""

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from contracts import LineageRecord, Settings
from contracts.lake import MANIFEST_FILE, clean_leftovers, partition_dir, write_dataset_partition
from contracts.lineage import code_version, new_run_id, write_lineage
from contracts.storage import sha256_file

DATASET_NAME = "raw/customers"
DATA_FILE = "part-0000.parquet"
STEP = "ingestion"
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


def write_ingestion_lineage(
    settings: Settings, partition: Path, *, source: str, rows: int, started_at: datetime
) -> Path:
    """Record the run: the source it read, the data file and manifest it wrote, their digests."""
    data_path = partition / DATA_FILE
    manifest_path = partition / MANIFEST_FILE
    record = LineageRecord(
        run_id=new_run_id(),
        step=STEP,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        inputs=[source],
        outputs=[str(data_path), str(manifest_path)],
        code_version=code_version(settings),
        parameters={
            "partition": partition.name,
            "rows": rows,
            "sha256": sha256_file(data_path),
            "manifest_sha256": sha256_file(manifest_path),
        },
    )
    return write_lineage(record, settings.lineage_dir)
