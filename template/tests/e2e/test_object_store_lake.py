"""The whole lifecycle with the lake on an object store (fsspec ``memory://``): every service
reads and writes it through contracts.storage; nothing of the lake lands on the local disk."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from contracts import Settings, get_settings, lineage
from contracts.lake import MANIFEST_FILE


@pytest.fixture()
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    bucket = f"lake-{uuid.uuid4().hex}"
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_LAKE_URI", f"memory://{bucket}/lake")
    monkeypatch.setenv("APP_REPORTS_URI", f"memory://{bucket}/reports")
    monkeypatch.setenv("APP_N_ROWS", "2000")
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()
    fsspec.filesystem("memory").rm(f"/{bucket}", recursive=True)


def _objects(settings: Settings) -> list[str]:
    bucket = str(settings.lake_dir).removeprefix("memory://").split("/")[0]
    fs = fsspec.filesystem("memory")
    return sorted(key.removeprefix(f"/{bucket}/") for key in fs.find(f"/{bucket}"))


@pytest.mark.usefixtures("migrated_registry")
def test_every_service_uses_the_object_store(cloud: Settings) -> None:
    from features.__main__ import main as build_features
    from ingestion.__main__ import main as ingest
    from monitoring.__main__ import main as drift_report
    from training.__main__ import main as train

    assert ingest(["--rows", "2000", "--date", "2026-01-01"]) == 0
    assert build_features([]) == 0
    assert train([]) == 0
    assert drift_report([]) == 0

    objects = _objects(cloud)
    zones = {key.split("/")[0] + "/" + key.split("/")[1] for key in objects}
    assert zones == {
        "lake/raw",
        "lake/features",
        "lake/quarantine",
        "lake/reference",
        "lake/lineage",
        "reports/drift",
    }
    raw = "lake/raw/customers/ingestion_date=2026-01-01/"
    assert {raw + MANIFEST_FILE, raw + "part-0000.parquet"} <= set(objects)
    reference = f"lake/reference/customers/{cloud.model_name}/"
    assert {reference + "features.parquet", reference + MANIFEST_FILE} <= set(objects)
    # Promotion staged and moved the reference inside the object store: nothing left behind.
    assert not [key for key in objects if "/.staging-" in key or "/.promotion-" in key]
    assert "reports/drift/drift_report.json" in objects
    data = Path(cloud.data_dir)
    assert not (data / "lake").exists(), "no lake file may be written locally"
    assert not (data / "reports").exists()
    events = lineage.read_events(cloud.lineage_dir)
    assert {event["job"]["name"] for event in events} >= {
        "ingestion",
        "features",
        "training",
        "drift",
    }
    assert {event["eventType"] for event in events} == {"START", "COMPLETE"}
    # Every dataset of the lake is named in the object store's namespace, never a local path.
    namespace = lineage.lake_namespace(cloud.lake_dir)
    assert namespace.startswith("memory://")
    datasets = [item for event in events for item in event["inputs"] + event["outputs"]]
    assert namespace in {item["namespace"] for item in datasets}
    assert all(
        item["namespace"].startswith("memory://") or item["namespace"] == "mlflow"
        for item in datasets
    )


def test_a_tampered_raw_object_is_refused(cloud: Settings) -> None:
    from features.__main__ import main as build_features
    from ingestion.__main__ import main as ingest

    assert ingest(["--rows", "500", "--date", "2026-01-01"]) == 0
    partition = cloud.raw_dir / "ingestion_date=2026-01-01"
    manifest = json.loads((partition / MANIFEST_FILE).read_text())
    data = partition / Path(manifest["path"]).name
    with data.open("rb") as handle:
        original = handle.read()
    with data.open("wb") as handle:  # an attacker with write access to the bucket
        handle.write(original[:-16] + bytes(16))

    assert build_features([]) != 0
    assert not any(key.startswith("lake/features/") for key in _objects(cloud))
