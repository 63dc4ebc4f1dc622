"""The lake on an object store: the same helpers against a real non-local fsspec filesystem.

``memory://`` is fsspec's in-process filesystem: no local paths, no renames, listings by
prefix, like S3, GCS or ADLS. Every test gets its own bucket-like root.
"""

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import fsspec
import pandas as pd
import pytest
from pydantic import ValidationError

from contracts import DatasetManifest, Settings, latest_partition, partition_dir
from contracts.lake import MANIFEST_FILE, write_dataset_partition
from contracts.storage import (
    StorageConfigError,
    TableError,
    is_local,
    lake_path,
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


@pytest.fixture()
def root() -> Iterator[str]:
    location = f"memory://lake-{uuid.uuid4().hex}/lake"
    yield location
    fs = fsspec.filesystem("memory")
    bucket = location.removeprefix("memory://").split("/")[0]
    if fs.exists(f"/{bucket}"):
        fs.rm(f"/{bucket}", recursive=True)


def _names(location: str) -> list[str]:
    fs = fsspec.filesystem("memory")
    base = location.removeprefix("memory:/")
    return sorted(found.removeprefix(base + "/") for found in fs.find(base))


def test_locations_are_local_paths_or_fsspec_urls(tmp_path: Path, root: str) -> None:
    assert lake_path(str(tmp_path)) == tmp_path
    assert lake_path(tmp_path.as_uri()) == tmp_path
    assert is_local(lake_path("data/lake"))
    remote = lake_path(root)
    assert not is_local(remote)
    assert str(remote / "raw") == f"{root}/raw"


def test_an_unknown_scheme_is_a_one_line_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(StorageConfigError, match="cannot use lake location 'nosuch://b/lake'"):
        lake_path("nosuch://b/lake")
    monkeypatch.setenv("APP_LAKE_URI", "nosuch://b/lake")
    with pytest.raises(ValidationError, match="cannot use lake location"):
        Settings()


def test_settings_put_every_zone_under_the_configured_roots(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root: str
) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_LAKE_URI", root)
    monkeypatch.setenv("APP_REPORTS_URI", root.replace("/lake", "/reports"))
    settings = Settings()
    assert str(settings.raw_dir) == f"{root}/raw/customers"
    assert str(settings.features_dir) == f"{root}/features/customers"
    assert str(settings.quarantine_dir) == f"{root}/quarantine/customers"
    assert str(settings.reference_path) == (
        f"{root}/reference/customers/{settings.model_name}/features.parquet"
    )
    assert str(settings.lineage_dir) == f"{root}/lineage"
    assert str(settings.reports_dir) == root.replace("/lake", "/reports")
    # MLflow's local store stays under APP_DATA_DIR: only the lake moved.
    assert settings.tracking_uri.startswith("sqlite:///")


def test_writes_round_trip_through_the_object_store(root: str, tmp_path: Path) -> None:
    lake = lake_path(root)
    text = write_text_atomic("first\n", lake / "out" / "note.txt")
    write_text_atomic("second\n", text)
    data = write_json_atomic({"b": 1, "a": [1, 2]}, lake / "out" / "data.json")
    table = write_parquet_atomic(_frame(), lake / "out" / "table.parquet")

    assert text.read_text() == "second\n"
    assert data.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    pd.testing.assert_frame_equal(read_table(table, what="table"), _frame())
    local = write_parquet_atomic(_frame(), tmp_path / "table.parquet")
    assert sha256_file(table) == sha256_file(local), "same frame, same bytes, wherever written"
    assert _names(root) == ["out/data.json", "out/note.txt", "out/table.parquet"]


def test_a_failed_write_keeps_the_old_object(root: str) -> None:
    path = write_text_atomic("old", lake_path(root) / "file.txt")

    def broken(temporary: Path) -> None:
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, broken)
    assert path.read_text() == "old"
    assert _names(root) == ["file.txt"]


def test_replacing_dir_publishes_data_before_the_manifest_and_drops_stale_objects(
    root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = lake_path(root) / "part=1"
    write_text_atomic("from an older run", target / "stale.txt")
    uploads: list[str] = []
    fs = target.fs
    original = fs.put_file

    def recording(local: str, remote: str, *args: object, **kwargs: object) -> None:
        uploads.append(remote.rsplit("/", 1)[-1])
        original(local, remote, *args, **kwargs)

    monkeypatch.setattr(fs, "put_file", recording)
    with replacing_dir(target) as staging:
        assert is_local(staging), "producers always write locally"
        (staging / MANIFEST_FILE).write_text("{}")
        (staging / "b.parquet").write_text("b")
        (staging / "a.parquet").write_text("a")

    assert uploads == ["a.parquet", "b.parquet", MANIFEST_FILE]
    assert _names(root) == ["part=1/_manifest.json", "part=1/a.parquet", "part=1/b.parquet"]


def test_replacing_dir_keeps_the_old_objects_when_the_block_fails(root: str) -> None:
    target = lake_path(root) / "part=1"
    write_text_atomic("old", target / "old.txt")

    with pytest.raises(RuntimeError, match="boom"), replacing_dir(target) as staging:
        (staging / "new.txt").write_text("new")
        raise RuntimeError("boom")

    assert _names(root) == ["part=1/old.txt"]


def test_remove_dir_drops_the_manifest_first(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = lake_path(root) / "part=1"
    write_dataset_partition(_frame(), target, "data.parquet", dataset="t", source="s")
    removed: list[str] = []
    fs = target.fs
    original = fs.rm_file

    def recording(path: str) -> None:
        removed.append(path.rsplit("/", 1)[-1])
        original(path)

    monkeypatch.setattr(fs, "rm_file", recording)
    assert remove_dir_atomic(target) is True
    assert removed == [MANIFEST_FILE, "data.parquet"]
    assert _names(root) == []
    assert remove_dir_atomic(target) is False


def test_dataset_partitions_verify_and_the_newest_wins(root: str) -> None:
    lake = lake_path(root)
    old = partition_dir(lake, date(2024, 1, 1))
    write_dataset_partition(_frame(9), old, "data.parquet", dataset="t/ds", source="old")
    new = partition_dir(lake, date(2024, 1, 2))
    write_dataset_partition(_frame(9), new, "part-0001.parquet", dataset="t/ds", source="old")

    data = write_dataset_partition(_frame(3), new, "data.parquet", dataset="t/ds", source="s")

    manifest = DatasetManifest.model_validate_json((new / MANIFEST_FILE).read_text())
    assert manifest.path == str(data) == f"{root}/ingestion_date=2024-01-02/data.parquet"
    assert manifest.sha256 == sha256_file(data)
    assert manifest.row_count == 3
    assert latest_partition(lake) == new
    assert sorted(path.name for path in new.iterdir()) == [MANIFEST_FILE, "data.parquet"]


def test_read_table_names_what_is_wrong_on_an_object_store(root: str) -> None:
    lake = lake_path(root)
    with pytest.raises(TableError, match=r"^batch not found: memory://"):
        read_table(lake / "missing.parquet", what="batch")
    write_text_atomic("not parquet", lake / "junk.parquet")
    with pytest.raises(TableError, match=r"^batch unreadable \(memory://"):
        read_table(lake / "junk.parquet", what="batch")
