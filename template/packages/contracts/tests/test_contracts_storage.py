"""Atomic file and folder writes: readers see the old version or the new one, nothing between."""

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from contracts import DatasetManifest, latest_partition
from contracts.lake import MANIFEST_FILE, write_dataset_partition
from contracts.storage import (
    TableError,
    read_table,
    remove_dir_atomic,
    replacing_dir,
    sha256_file,
    write_atomic,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)


def _frame(rows: int = 5) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"c-{i}" for i in range(rows)], "spend": range(rows)})


def test_sha256_file_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    payload = os.urandom((1 << 20) + 123)  # spans two read chunks
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()


def test_atomic_writes_replace_the_file_and_leave_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "out"
    text = write_text_atomic("first\n", folder / "note.txt")
    write_text_atomic("second\n", text)
    data = write_json_atomic({"b": 1, "a": [1, 2]}, folder / "data.json")
    table = write_parquet_atomic(_frame(), folder / "table.parquet")

    assert text.read_text() == "second\n"
    assert data.read_text() == json.dumps({"a": [1, 2], "b": 1}, indent=2) + "\n"
    pd.testing.assert_frame_equal(pd.read_parquet(table), _frame())
    assert sorted(p.name for p in folder.iterdir()) == ["data.json", "note.txt", "table.parquet"]


def test_same_frame_gives_the_same_bytes(tmp_path: Path) -> None:
    first = write_parquet_atomic(_frame(), tmp_path / "a.parquet")
    second = write_parquet_atomic(_frame(), tmp_path / "b.parquet")
    assert sha256_file(first) == sha256_file(second)


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    path = write_text_atomic("old", tmp_path / "file.txt")

    def broken(temporary: Path) -> None:
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_mode_is_applied_and_default_follows_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        private = write_text_atomic("x", tmp_path / "private.txt")
        shared = write_text_atomic("x", tmp_path / "shared.prom", mode=0o644)
    finally:
        os.umask(previous)
    assert private.stat().st_mode & 0o777 == 0o600
    assert shared.stat().st_mode & 0o777 == 0o644


def test_replacing_dir_swaps_the_whole_folder(tmp_path: Path) -> None:
    target = tmp_path / "part=1"
    target.mkdir()
    (target / "stale.txt").write_text("from an older run")

    with replacing_dir(target) as staging:
        assert staging.parent == tmp_path
        assert staging.name.startswith(".")
        (staging / "fresh.txt").write_text("new")

    assert [p.name for p in target.iterdir()] == ["fresh.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["part=1"]


def test_replacing_dir_keeps_the_old_folder_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "part=1"
    target.mkdir()
    (target / "old.txt").write_text("old")

    with pytest.raises(RuntimeError, match="boom"), replacing_dir(target) as staging:
        (staging / "new.txt").write_text("new")
        raise RuntimeError("boom")

    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["part=1"]


def test_remove_dir_atomic(tmp_path: Path) -> None:
    target = tmp_path / "part=1"
    (target / "sub").mkdir(parents=True)
    assert remove_dir_atomic(target) is True
    assert list(tmp_path.iterdir()) == []
    assert remove_dir_atomic(target) is False


def test_dataset_partition_has_a_manifest_that_verifies(tmp_path: Path) -> None:
    target = tmp_path / "ingestion_date=2024-01-01"
    write_dataset_partition(_frame(9), target, "data.parquet", dataset="test/ds", source="old")

    data = write_dataset_partition(_frame(3), target, "data.parquet", dataset="test/ds", source="s")

    assert data == target / "data.parquet"
    manifest = DatasetManifest.model_validate_json((target / MANIFEST_FILE).read_text())
    assert manifest.sha256 == sha256_file(data)
    assert manifest.row_count == 3
    assert manifest.path == str(data)
    assert manifest.source == "s"
    assert list(manifest.columns) == ["customer_id", "spend"]
    assert manifest.columns["spend"] == "int64"
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST_FILE, "data.parquet"]
    assert latest_partition(tmp_path) == target
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_read_table_names_what_is_wrong(tmp_path: Path) -> None:
    path = write_parquet_atomic(_frame(), tmp_path / "t.parquet")
    assert list(read_table(path, what="batch", columns=["spend"]).columns) == [
        "customer_id",
        "spend",
    ]
    with pytest.raises(TableError, match=r"^batch not found: "):
        read_table(tmp_path / "missing.parquet", what="batch")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(TableError, match=r"^batch unreadable \("):
        read_table(tmp_path / "junk.parquet", what="batch")
    with pytest.raises(TableError, match="missing columns region, churned in"):
        read_table(path, what="batch", columns=["spend", "region", "churned"])
