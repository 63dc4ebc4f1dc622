"""Landing a batch in the raw zone: one parquet file plus its manifest, swapped in atomically."""

import hashlib
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from contracts import DatasetManifest, partition_dir

DATASET_NAME = "raw/customers"
DATA_FILE = "part-0000.parquet"
MANIFEST_FILE = "_manifest.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large batches don't need to fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``; readers never see a half-written partition.

    Both live in the same parent folder, so each rename is atomic; the old partition is only
    deleted once the new one is in place.
    """
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".retired-{target.name}-{uuid.uuid4().hex}")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired)


def write_raw_partition(frame: pd.DataFrame, raw_dir: Path, day: date, source: str) -> Path:
    """Write ``frame`` as the ``day`` partition of ``raw_dir`` and return the partition folder.

    An existing partition for the same day is replaced as a whole, so re-running a day never
    leaves stale files behind. The manifest records the parquet's sha256 so consumers can prove
    they read exactly what was written.
    """
    target = partition_dir(raw_dir, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The dot prefix keeps the staging folder out of ``latest_partition``'s glob.
    staging = target.with_name(f".staging-{target.name}-{uuid.uuid4().hex}")
    staging.mkdir()
    try:
        data_path = staging / DATA_FILE
        frame.to_parquet(data_path, index=False, engine="pyarrow")
        manifest = DatasetManifest(
            dataset=DATASET_NAME,
            path=str(target / DATA_FILE),
            row_count=len(frame),
            columns={str(column): str(dtype) for column, dtype in frame.dtypes.items()},
            sha256=sha256_file(data_path),
            created_at=datetime.now(UTC),
            source=source,
        )
        (staging / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
