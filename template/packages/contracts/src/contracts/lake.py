"""The data lake layout every service agrees on: date partitions under one root per dataset.

A partition folder holds the data file and a ``_manifest.json`` (``DatasetManifest``) with the
file's checksum, so a consumer can prove it reads exactly what the producer wrote. The root is
a local folder or an object-store prefix (``storage.LakePath``); the layout is the same.
"""

from datetime import UTC, date, datetime

import pandas as pd

from contracts.lineage import DatasetManifest
from contracts.storage import LakePath, replacing_dir, sha256_file

PARTITION_KEY = "ingestion_date"
MANIFEST_FILE = "_manifest.json"


def partition_dir(root: LakePath, day: date) -> LakePath:
    """Folder of one date partition, Hive-style (``ingestion_date=YYYY-MM-DD``)."""
    return root / f"{PARTITION_KEY}={day.isoformat()}"


def latest_partition(root: LakePath) -> LakePath:
    """Newest date partition under ``root``; raises FileNotFoundError when there is none."""
    partitions = sorted(p for p in root.glob(f"{PARTITION_KEY}=*") if p.is_dir())
    if not partitions:
        raise FileNotFoundError(f"no {PARTITION_KEY}=* partition under {root}")
    return partitions[-1]


def write_dataset_partition(
    frame: pd.DataFrame, target: LakePath, file_name: str, *, dataset: str, source: str
) -> LakePath:
    """Replace the partition folder ``target`` by ``frame`` plus its manifest; return the file.

    The folder is replaced as a whole (see ``storage.replacing_dir``), so re-running a day never
    leaves stale files behind and a reader never sees data without its matching manifest.
    """
    with replacing_dir(target) as staging:
        data_path = staging / file_name
        # pyarrow explicitly: the same frame must give the same bytes, hence the same checksum.
        frame.to_parquet(data_path, index=False, engine="pyarrow")
        manifest = DatasetManifest(
            dataset=dataset,
            path=str(target / file_name),
            row_count=len(frame),
            columns={str(column): str(dtype) for column, dtype in frame.dtypes.items()},
            sha256=sha256_file(data_path),
            created_at=datetime.now(UTC),
            source=source,
        )
        (staging / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n")
    return target / file_name
