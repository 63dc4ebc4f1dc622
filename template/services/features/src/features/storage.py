"""Reading verified raw partitions and writing lake outputs without half-written states."""

import hashlib
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from contracts import DatasetManifest

MANIFEST_FILE = "_manifest.json"


class IntegrityError(RuntimeError):
    """A partition's data does not match its manifest, or the manifest is missing/unreadable."""


@dataclass(frozen=True)
class RawBatch:
    frame: pd.DataFrame
    data_path: Path
    manifest: DatasetManifest


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large batches don't need to fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_verified_partition(partition: Path) -> RawBatch:
    """Load the parquet file a partition's manifest describes, after proving it is that file.

    The data file is looked up by name inside ``partition`` (not by the manifest's full path)
    so a lake that was moved or mounted elsewhere still verifies.
    """
    manifest_path = partition / MANIFEST_FILE
    try:
        manifest = DatasetManifest.model_validate_json(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise IntegrityError(f"no {MANIFEST_FILE} in {partition}: cannot verify the data") from exc
    except ValidationError as exc:
        raise IntegrityError(f"unreadable manifest {manifest_path}: {exc}") from exc
    data_path = partition / Path(manifest.path).name
    if not data_path.is_file():
        raise IntegrityError(f"{manifest_path} describes {data_path.name}, which is missing")
    actual = sha256_file(data_path)
    if actual != manifest.sha256:
        raise IntegrityError(
            f"checksum mismatch for {data_path}: manifest says {manifest.sha256}, file is {actual}"
        )
    frame = pd.read_parquet(data_path)
    if len(frame) != manifest.row_count:
        raise IntegrityError(
            f"{data_path} has {len(frame)} rows, manifest says {manifest.row_count}"
        )
    return RawBatch(frame=frame, data_path=data_path, manifest=manifest)


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` so readers see the old file or the new one, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(staging, index=False, engine="pyarrow")
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)


def write_dataset_partition(
    frame: pd.DataFrame, target: Path, file_name: str, dataset: str, source: str
) -> Path:
    """Replace the partition folder ``target`` by ``frame`` plus its manifest; return the file.

    The folder is built under a dot-prefixed name (invisible to ``latest_partition``) and
    renamed into place, so a reader never sees data without its matching manifest.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".staging-{target.name}-{uuid.uuid4().hex}")
    staging.mkdir()
    try:
        frame.to_parquet(staging / file_name, index=False, engine="pyarrow")
        manifest = DatasetManifest(
            dataset=dataset,
            path=str(target / file_name),
            row_count=len(frame),
            columns={str(column): str(dtype) for column, dtype in frame.dtypes.items()},
            sha256=sha256_file(staging / file_name),
            created_at=datetime.now(UTC),
            source=source,
        )
        (staging / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n")
        retired = _retire(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        shutil.rmtree(retired)
    return target / file_name


def _retire(target: Path) -> Path | None:
    """Rename ``target`` out of the way (one atomic step) and return where it went."""
    if not target.exists():
        return None
    retired = target.with_name(f".retired-{target.name}-{uuid.uuid4().hex}")
    target.rename(retired)
    return retired


def remove_partition(target: Path) -> bool:
    """Delete a partition folder so readers stop seeing it at once; True if one existed."""
    retired = _retire(target)
    if retired is None:
        return False
    shutil.rmtree(retired)
    return True
