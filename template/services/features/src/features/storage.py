"""Reading raw partitions only after proving they are what ingestion wrote."""

from dataclasses import dataclass
from typing import Generic

from contracts import DatasetManifest
from contracts.lake import IntegrityError, verify_partition
from contracts.storage import LakePath, TableError
from features.port import Engine, Frame

__all__ = ["IntegrityError", "RawBatch", "read_verified_partition"]


@dataclass(frozen=True)
class RawBatch(Generic[Frame]):
    frame: Frame
    rows: int
    data_path: LakePath
    manifest: DatasetManifest
    # sha256 of the raw manifest: recorded in the features manifest so training can prove the
    # features were built from the raw batch that is current now.
    manifest_sha256: str
    partition: LakePath


def read_verified_partition(partition: LakePath, engine: Engine[Frame]) -> RawBatch[Frame]:
    """Load the parquet file a partition's manifest describes, after proving it is that file.

    A checksum mismatch, a missing manifest, a corrupt file or a wrong row count raise
    ``IntegrityError`` (a ``contracts.cli.DataError``: exit code 3).
    """
    verified = verify_partition(partition)
    try:
        frame = engine.read_parquet(verified.data_path)
        rows = engine.count(frame)
    except TableError as exc:
        raise IntegrityError(str(exc)) from exc
    if rows != verified.manifest.row_count:
        raise IntegrityError(
            f"{verified.data_path} has {rows} rows, manifest says {verified.manifest.row_count}"
        )
    return RawBatch(
        frame=frame,
        rows=rows,
        data_path=verified.data_path,
        manifest=verified.manifest,
        manifest_sha256=verified.manifest_sha256,
        partition=partition,
    )
