import hashlib
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import LABEL_COLUMN, DatasetManifest, latest_partition, partition_dir
from contracts.lake import MANIFEST_FILE
from ingestion.lake import DATA_FILE, write_raw_partition
from ingestion.sources import FileSource, SourceError, SyntheticSource

DAY = date(2024, 3, 1)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    source = SyntheticSource(n_rows=300, seed=11, invalid_fraction=0.01)
    first = write_raw_partition(source.load(), tmp_path / "a", DAY, source.describe())
    second = write_raw_partition(source.load(), tmp_path / "b", DAY, source.describe())
    assert _sha256(first / DATA_FILE) == _sha256(second / DATA_FILE)


def test_manifest_describes_the_written_file(tmp_path: Path) -> None:
    source = SyntheticSource(n_rows=250, seed=3)
    frame = source.load()
    partition = write_raw_partition(frame, tmp_path, DAY, source.describe())

    assert partition == partition_dir(tmp_path, DAY)
    manifest = DatasetManifest.model_validate_json((partition / MANIFEST_FILE).read_text())
    assert manifest.sha256 == _sha256(partition / DATA_FILE)
    assert manifest.row_count == 250
    assert list(manifest.columns) == list(frame.columns)
    assert manifest.columns[LABEL_COLUMN] == str(frame[LABEL_COLUMN].dtype)
    assert manifest.source == source.describe()
    pd.testing.assert_frame_equal(pd.read_parquet(partition / DATA_FILE), frame)


def test_rewriting_a_day_replaces_the_partition_and_leaves_no_temp_folders(
    tmp_path: Path,
) -> None:
    write_raw_partition(SyntheticSource(n_rows=200, seed=1).load(), tmp_path, DAY, "first")
    stale = partition_dir(tmp_path, DAY) / "part-0001.parquet"
    stale.write_bytes(b"left over from an older run")

    partition = write_raw_partition(
        SyntheticSource(n_rows=120, seed=2).load(), tmp_path, DAY, "second"
    )

    assert sorted(p.name for p in partition.iterdir()) == [MANIFEST_FILE, DATA_FILE]
    assert len(pd.read_parquet(partition / DATA_FILE)) == 120
    assert json.loads((partition / MANIFEST_FILE).read_text())["source"] == "second"
    assert [p.name for p in tmp_path.iterdir()] == [partition.name]
    assert latest_partition(tmp_path) == partition


def test_file_source_round_trips_a_csv_extract(tmp_path: Path) -> None:
    frame = SyntheticSource(n_rows=200, seed=4, invalid_fraction=0.05).load()
    extract = frame.assign(extra_column="ignored")
    path = tmp_path / "extract.CSV"
    extract.to_csv(path, index=False)

    loaded = FileSource(path).load()

    pd.testing.assert_frame_equal(loaded, frame)
    assert "extract.CSV" in FileSource(path).describe()


def test_file_source_reads_parquet_and_keeps_numeric_looking_ids_as_text(tmp_path: Path) -> None:
    frame = SyntheticSource(n_rows=50, seed=4).load()
    frame["customer_id"] = [f"{i:05d}" for i in range(50)]
    frame.to_csv(tmp_path / "ids.csv", index=False)
    frame.to_parquet(tmp_path / "ids.parquet", index=False)

    assert FileSource(tmp_path / "ids.csv").load()["customer_id"].iloc[1] == "00001"
    pd.testing.assert_frame_equal(FileSource(tmp_path / "ids.parquet").load(), frame)


def test_file_source_rejects_unknown_extensions_up_front(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"unsupported file type '\.xlsx'.*\.csv"):
        FileSource(tmp_path / "customers.xlsx")


def test_file_source_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "partial.csv"
    SyntheticSource(n_rows=10, seed=1).load().drop(columns=["region", LABEL_COLUMN]).to_csv(
        path, index=False
    )
    with pytest.raises(SourceError, match=f"region, {LABEL_COLUMN}"):
        FileSource(path).load()
