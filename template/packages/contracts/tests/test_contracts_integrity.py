"""Manifests prove what a partition holds and which input partitions it was built from."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from contracts import Settings, partition_dir
from contracts.cli import DataError
from contracts.lake import (
    MANIFEST_FILE,
    IntegrityError,
    clean_leftovers,
    read_verified_table,
    verify_partition,
    verify_upstream,
    write_dataset_partition,
)
from contracts.lineage import UpstreamRef

DAY = date(2024, 1, 1)


def _write(lake: Path, dataset: str, frame: pd.DataFrame, **kwargs: object) -> Path:
    partition = partition_dir(lake / dataset, DAY)
    write_dataset_partition(frame, partition, "data.parquet", dataset=dataset, source="t", **kwargs)
    return partition


def test_downstream_partition_is_bound_to_the_current_upstream_manifest(tmp_path: Path) -> None:
    raw = _write(tmp_path, "raw/customers", pd.DataFrame({"x": [1, 2, 3]}))
    ref = verify_partition(raw).upstream_ref()
    features = _write(tmp_path, "features/customers", pd.DataFrame({"x": [1, 2]}), upstream=[ref])
    verified = verify_partition(features)
    verify_upstream(verified, tmp_path)
    assert read_verified_table(verified, what="t")["x"].tolist() == [1, 2]

    _write(tmp_path, "raw/customers", pd.DataFrame({"x": [1, 2, 3]}))  # same data, new batch
    with pytest.raises(IntegrityError, match="stale lineage"):
        verify_upstream(verified, tmp_path)
    assert issubclass(IntegrityError, DataError)


def test_tampered_data_and_manifests_are_refused(tmp_path: Path) -> None:
    partition = _write(tmp_path, "raw/customers", pd.DataFrame({"x": [1.0, 2.0]}))
    pd.DataFrame({"x": [1.0, -2.0]}).to_parquet(partition / "data.parquet", index=False)
    with pytest.raises(IntegrityError, match="checksum mismatch"):
        verify_partition(partition)
    (partition / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(IntegrityError, match="invalid manifest") as error:
        verify_partition(partition)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "field", [{"dataset": "../../etc"}, {"partition": "../raw"}, {"partition": ".staging-x"}]
)
def test_upstream_refs_cannot_point_outside_the_lake(field: dict[str, str]) -> None:
    values = {"dataset": "raw/customers", "partition": "ingestion_date=2024-01-01"}
    with pytest.raises(ValidationError):
        UpstreamRef(**{**values, **field}, manifest_sha256="0" * 64)


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_model_names_cannot_escape_the_reference_zone(name: str) -> None:
    with pytest.raises(ValidationError):
        Settings(model_name=name)


def test_clean_leftovers_removes_staging_and_restores_retired(tmp_path: Path) -> None:
    root = tmp_path / "features"
    kept = _write(tmp_path, "features", pd.DataFrame({"x": [1]}))
    staging = root / f".staging-{kept.name}-{'a' * 32}"
    staging.mkdir()
    temporary = kept / f".tmp-data.parquet-{'b' * 32}"
    temporary.write_text("half")
    lost = partition_dir(root, date(2024, 1, 2))
    retired = root / f".retired-{lost.name}-{'c' * 32}"
    retired.mkdir()

    assert sorted(clean_leftovers(root)) == sorted([staging, temporary, retired])
    assert sorted(path.name for path in root.iterdir()) == [kept.name, lost.name]
    assert not temporary.exists()
