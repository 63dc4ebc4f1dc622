"""How serving reads the registry without MLflow: the same answers as MLflow's client.

The SQLite store is read with plain SQL (read-only); a tracking server through its REST API.
Both are compared with what MLflow itself says, against a real registry.
"""

import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pytest

from contracts import Settings
from contracts.artifacts import ARTIFACT_DIGEST_TAG
from serving.model import CHAMPION_ALIAS, ChampionRef, ModelRegistry
from serving.registry import SqliteRegistry


def _mlflow_answer(registry, version: str) -> ChampionRef:
    found = registry.client.get_model_version(registry.settings.model_name, version)
    return ChampionRef(version=str(found.version), digest=found.tags.get(ARTIFACT_DIGEST_TAG))


def test_sqlite_reader_agrees_with_mlflow(registry_settings: Settings, registry, sk_model) -> None:
    assert ModelRegistry(registry_settings).champion() is None  # registered nothing yet
    first = registry.register(sk_model)
    registry.register(sk_model)
    assert ModelRegistry(registry_settings).champion() is None  # no alias yet
    registry.promote(first)
    reader = ModelRegistry(registry_settings)
    assert reader.champion() == _mlflow_answer(registry, first)
    handle = reader.load(reader.champion())
    assert handle.version == first


def test_sqlite_reader_falls_back_to_mlflow_when_the_schema_differs(
    registry_settings: Settings, registry, sk_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.promote(registry.register(sk_model))

    def changed_schema(*args: object) -> None:
        raise sqlite3.OperationalError("no such table: registered_model_aliases")

    monkeypatch.setattr(SqliteRegistry, "champion", changed_schema)
    reader = ModelRegistry(registry_settings)
    ref = reader.champion()
    assert ref == _mlflow_answer(registry, "1")
    assert reader.load(ref).version == "1"


def test_the_sqlite_store_is_never_written(registry_settings: Settings, registry, sk_model) -> None:
    registry.promote(registry.register(sk_model))
    store = registry_settings.data_dir / "mlflow" / "mlflow.db"
    before = store.read_bytes()
    reader = ModelRegistry(registry_settings)
    reader.load(reader.champion())
    assert store.read_bytes() == before


def _fake_tracking_server(registry, artifacts: Path, *, alias: bool = True) -> httpx.MockTransport:
    """MLflow's REST API for one registered version, its files served as mlflow-artifacts."""
    name = registry.settings.model_name
    tags = registry.client.get_model_version(name, "1").tags

    def handler(request: httpx.Request) -> httpx.Response:
        query = {key: values[0] for key, values in parse_qs(request.url.query.decode()).items()}
        path = request.url.path
        if path == "/api/2.0/mlflow/registered-models/alias":
            assert query == {"name": name, "alias": CHAMPION_ALIAS}
            if not alias:
                return httpx.Response(
                    404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no alias"}
                )
            version = {
                "version": "1",
                "tags": [{"key": key, "value": value} for key, value in tags.items()],
            }
            return httpx.Response(200, json={"model_version": version})
        if path == "/api/2.0/mlflow/model-versions/get-download-uri":
            return httpx.Response(200, json={"artifact_uri": "mlflow-artifacts:/models/m-1"})
        if path == "/api/2.0/mlflow-artifacts/artifacts":
            folder = artifacts / query["path"].removeprefix("models/m-1").lstrip("/")
            files = [
                {"path": entry.name, "is_dir": entry.is_dir()} for entry in sorted(folder.iterdir())
            ]
            return httpx.Response(200, json={"files": files})
        prefix = "/api/2.0/mlflow-artifacts/artifacts/models/m-1/"
        if path.startswith(prefix):
            return httpx.Response(
                200, content=(artifacts / unquote(path[len(prefix) :])).read_bytes()
            )
        return httpx.Response(404, json={"error_code": "ENDPOINT_NOT_FOUND"})

    return httpx.MockTransport(handler)


def test_rest_reader_loads_the_champion_of_a_tracking_server(
    registry_settings: Settings, registry, sk_model, instance
) -> None:
    registry.promote(registry.register(sk_model))
    transport = _fake_tracking_server(registry, registry.artifact_dir("1"))
    settings = registry_settings.model_copy(
        update={"mlflow_tracking_uri": "https://mlflow.example.test"}
    )
    reader = ModelRegistry(settings, transport=transport)
    ref = reader.champion()
    assert ref == _mlflow_answer(registry, "1")
    handle = reader.load(ref)
    assert handle.version == "1"

    missing = ModelRegistry(
        settings, transport=_fake_tracking_server(registry, registry.artifact_dir("1"), alias=False)
    )
    assert missing.champion() is None
    assert urlparse(settings.tracking_uri).scheme == "https"


def test_rest_reader_refuses_files_that_do_not_match_the_digest(
    registry_settings: Settings, registry, sk_model, tmp_path
) -> None:
    import shutil

    from serving.model import ModelRejected

    registry.promote(registry.register(sk_model))
    served = tmp_path / "served"
    shutil.copytree(registry.artifact_dir("1"), served)
    (served / "MLmodel").write_text("tampered on the server\n")
    settings = registry_settings.model_copy(
        update={"mlflow_tracking_uri": "https://mlflow.example.test"}
    )
    reader = ModelRegistry(settings, transport=_fake_tracking_server(registry, served))
    with pytest.raises(ModelRejected, match="do not match the digest"):
        reader.load(reader.champion())
