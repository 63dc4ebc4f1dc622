"""The data lake layout every service agrees on: date partitions under one root per dataset.

A partition folder holds the data file and a ``_manifest.json`` (``DatasetManifest``) with the
file's checksum, so a consumer can prove it reads exactly what the producer wrote, and with the
manifest digests of the partitions it was built from, so a consumer can prove it is not stale.
The root is a local folder or an object-store prefix (``storage.LakePath``); the layout is the
same.
"""

import hashlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from contracts.cli import DataError
from contracts.lineage import DatasetManifest, UpstreamRef
from contracts.storage import (
    LakePath,
    TableError,
    read_table,
    replacing_dir,
    sha256_file,
)

PARTITION_KEY = "ingestion_date"
MANIFEST_FILE = "_manifest.json"
# Prefixes of the hidden siblings ``contracts.storage`` writes through (see ``_hidden_sibling``).
_TRANSIENT_PREFIXES = (".staging-", ".tmp-")
_RETIRED_PREFIX = ".retired-"


class IntegrityError(DataError):
    """Data that does not match its manifest, or was built from an input that has changed."""


@dataclass(frozen=True)
class VerifiedPartition:
    """A partition whose data file has the checksum its manifest records."""

    partition: LakePath
    data_path: LakePath
    manifest: DatasetManifest
    # sha256 of the manifest file itself: what a downstream dataset records as its upstream.
    manifest_sha256: str

    def upstream_ref(self) -> UpstreamRef:
        return UpstreamRef(
            dataset=self.manifest.dataset,
            partition=self.partition.name,
            manifest_sha256=self.manifest_sha256,
        )


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
    frame: pd.DataFrame,
    target: LakePath,
    file_name: str,
    *,
    dataset: str,
    source: str,
    upstream: Sequence[UpstreamRef] = (),
) -> LakePath:
    """Replace the partition folder ``target`` by ``frame`` plus its manifest; return the file.

    The folder is replaced as a whole (see ``storage.replacing_dir``), so re-running a day never
    leaves stale files behind and a reader never sees data without its matching manifest.
    """
    return write_partition_file(
        # pyarrow explicitly: the same frame must give the same bytes, hence the same checksum.
        lambda data_path: frame.to_parquet(data_path, index=False, engine="pyarrow"),
        target,
        file_name,
        dataset=dataset,
        source=source,
        upstream=upstream,
        columns={str(column): str(dtype) for column, dtype in frame.dtypes.items()},
    )


def parquet_columns(path: Path) -> dict[str, str]:
    """Column name -> pandas dtype of a parquet file, read from its footer only."""
    schema = pq.read_schema(path)
    return {str(name): str(kind) for name, kind in schema.empty_table().to_pandas().dtypes.items()}


def write_partition_file(
    write: Callable[[Path], object],
    target: LakePath,
    file_name: str,
    *,
    dataset: str,
    source: str,
    upstream: Sequence[UpstreamRef] = (),
    columns: dict[str, str] | None = None,
) -> LakePath:
    """``write_dataset_partition`` for any writer: ``write(local_path)`` writes the parquet file
    (a polars or Spark frame, say); the row count and, unless given, the columns come from the
    file's footer. Same atomic replacement of the whole folder; returns the file.
    """
    with replacing_dir(target) as staging:
        data_path = staging / file_name
        write(data_path)
        manifest = DatasetManifest(
            dataset=dataset,
            path=str(target / file_name),
            row_count=pq.read_metadata(data_path).num_rows,
            columns=columns if columns is not None else parquet_columns(data_path),
            sha256=sha256_file(data_path),
            created_at=datetime.now(UTC),
            source=source,
            upstream=list(upstream),
        )
        (staging / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n")
    return target / file_name


def read_manifest(partition: LakePath) -> tuple[DatasetManifest, str]:
    """The manifest of ``partition`` and the sha256 of its bytes; ``IntegrityError`` otherwise."""
    path = partition / MANIFEST_FILE
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise IntegrityError(f"no {MANIFEST_FILE} in {partition}: cannot verify the data") from exc
    except OSError as exc:
        raise IntegrityError(f"unreadable manifest {path}: {exc}") from exc
    try:
        manifest = DatasetManifest.model_validate_json(content)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise IntegrityError(f"invalid manifest {path}: {where}: {first['msg']}") from exc
    return manifest, hashlib.sha256(content).hexdigest()


def verify_partition(partition: LakePath) -> VerifiedPartition:
    """Prove the data file of ``partition`` is the one its manifest describes (sha256).

    The data file is looked up by name inside ``partition`` (not by the manifest's full path)
    so a lake that was moved or mounted elsewhere still verifies.
    """
    manifest, digest = read_manifest(partition)
    data_path = partition / Path(manifest.path).name
    if not data_path.is_file():
        raise IntegrityError(
            f"{partition / MANIFEST_FILE} describes {data_path.name}, which is missing"
        )
    actual = sha256_file(data_path)
    if actual != manifest.sha256:
        raise IntegrityError(
            f"checksum mismatch for {data_path}: manifest says {manifest.sha256}, file is {actual}"
        )
    return VerifiedPartition(
        partition=partition, data_path=data_path, manifest=manifest, manifest_sha256=digest
    )


def verify_upstream(verified: VerifiedPartition, lake_root: LakePath) -> None:
    """Prove every input ``verified`` was built from is still the current version of it."""
    for ref in verified.manifest.upstream:
        source = lake_root / ref.dataset / ref.partition
        try:
            _, current = read_manifest(source)
        except IntegrityError as exc:
            raise IntegrityError(
                f"stale lineage: {verified.data_path} was built from {source}, "
                f"which cannot be verified any more ({exc}); rebuild it"
            ) from exc
        if current != ref.manifest_sha256:
            raise IntegrityError(
                f"stale lineage: {verified.data_path} was built from {ref.dataset}/"
                f"{ref.partition} with manifest sha256 {ref.manifest_sha256[:12]}, the current "
                f"one is {current[:12]} (replaced since); rebuild it"
            )


def read_verified_table(
    verified: VerifiedPartition, *, what: str, columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Read the verified data file; corrupt content or a wrong row count is a data error."""
    try:
        frame = read_table(verified.data_path, what=what, columns=columns)
    except (TableError, pa.ArrowException) as exc:
        raise IntegrityError(str(exc)) from exc
    if len(frame) != verified.manifest.row_count:
        raise IntegrityError(
            f"{verified.data_path} has {len(frame)} rows, "
            f"manifest says {verified.manifest.row_count}"
        )
    return frame


def clean_leftovers(root: LakePath) -> list[Path]:
    """Undo what a killed writer left under ``root`` and its partitions; return what changed.

    Staging folders and temporary files are deleted. A retired folder whose replacement never
    arrived (killed between the two renames of ``replacing_dir``) is put back. Assumes one
    writer per dataset at a time, which the schedulers' concurrency settings guarantee.
    """
    # Object-store writes stage locally (see ``storage.replacing_dir``): nothing is left there.
    if not isinstance(root, Path) or not root.is_dir():
        return []
    changed: list[Path] = []
    folders = [root, *(path for path in root.iterdir() if path.is_dir() and path.name[0] != ".")]
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.name.startswith(_TRANSIENT_PREFIXES):
                _remove(path)
                changed.append(path)
            elif path.name.startswith(_RETIRED_PREFIX):
                original = path.with_name(path.name.removeprefix(_RETIRED_PREFIX).rsplit("-", 1)[0])
                if original.exists():
                    _remove(path)
                else:
                    path.rename(original)
                changed.append(path)
    return changed


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
