"""Reading raw partitions only after proving they are what ingestion wrote."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from contracts import DatasetManifest
from contracts.lake import MANIFEST_FILE
from contracts.storage import LakePath, read_parquet, sha256_file


class IntegrityError(RuntimeError):
    """A partition's data does not match its manifest, or the manifest is missing/unreadable."""


@dataclass(frozen=True)
class RawBatch:
    frame: pd.DataFrame
    data_path: LakePath
    manifest: DatasetManifest


def read_verified_partition(partition: LakePath) -> RawBatch:
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
    frame = read_parquet(data_path)
    if len(frame) != manifest.row_count:
        raise IntegrityError(
            f"{data_path} has {len(frame)} rows, manifest says {manifest.row_count}"
        )
    return RawBatch(frame=frame, data_path=data_path, manifest=manifest)
