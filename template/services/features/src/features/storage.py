"""Reading raw partitions only after proving they are what ingestion wrote."""

from dataclasses import dataclass

import pandas as pd

from contracts import DatasetManifest
from contracts.lake import IntegrityError, read_verified_table, verify_partition
from contracts.storage import LakePath

__all__ = ["IntegrityError", "RawBatch", "read_verified_partition"]


@dataclass(frozen=True)
class RawBatch:
    frame: pd.DataFrame
    data_path: LakePath
    manifest: DatasetManifest
    # sha256 of the raw manifest: recorded in the features manifest so training can prove the
    # features were built from the raw batch that is current now.
    manifest_sha256: str
    partition: LakePath


def read_verified_partition(partition: LakePath) -> RawBatch:
    """Load the parquet file a partition's manifest describes, after proving it is that file.

    A checksum mismatch, a missing manifest, a corrupt file or a wrong row count raise
    ``IntegrityError`` (a ``contracts.cli.DataError``: exit code 3).
    """
    verified = verify_partition(partition)
    frame = read_verified_table(verified, what="raw batch")
    return RawBatch(
        frame=frame,
        data_path=verified.data_path,
        manifest=verified.manifest,
        manifest_sha256=verified.manifest_sha256,
        partition=partition,
    )
