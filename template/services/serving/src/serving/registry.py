"""Reading the MLflow registry without importing MLflow where that is cheap and well defined.

Importing MLflow and opening its SQL store takes seconds (``mlflow`` alone 2-3 s on a free
core, plus the store's schema check), more than serving may spend between start and ready.
Serving needs two answers: which version is behind the ``champion`` alias (with its digest
tag), and that version's files. So:

- ``http(s)://`` tracking servers are asked through MLflow's REST API with httpx; files under
  ``mlflow-artifacts:/`` (the server's proxied artifact store) come through it too. Any other
  artifact location (``s3://``, ``gs://``, ...) is fetched by MLflow's own artifact clients.
- the local ``sqlite:`` store is read read-only with the standard library, the files copied
  from its ``file:`` artifact location. MLflow owns that schema: a query that no longer
  matches it (``sqlite3.Error``) falls back to MLflow itself, imported once.
- every other store goes through MLflow.

Whatever answers, the files are only served if they match the digest tag (``serving.model``).
"""

import logging
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

logger = logging.getLogger(__name__)

ALIAS_NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts"
HTTP_TIMEOUT_SECONDS = 30.0


class RegistryUnavailable(Exception):
    """The registry could not answer (network, schema); the caller logs and retries."""


def mlflow_client(uri: str) -> Any:
    # MLflow starts a telemetry client on first import that reaches out to the network;
    # opt out before importing it, unless the user chose otherwise.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def mlflow_download(artifact_uri: str, destination: Path, tracking_uri: str) -> Path:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri, dst_path=str(destination), tracking_uri=tracking_uri
    )
    return Path(local)


def copy_local_artifacts(location: str, destination: Path) -> Path:
    """Copy a ``file:`` artifact folder; symbolic links are copied as links (then refused)."""
    source = Path(unquote(urlparse(location).path))
    if not source.is_dir():
        raise RegistryUnavailable(f"no artifact folder at {source}")
    target = destination / "model"
    shutil.copytree(source, target, symlinks=True)
    return target


_CHAMPION = (
    "SELECT v.version, v.storage_location"
    " FROM registered_model_aliases a JOIN model_versions v"
    " ON v.name = a.name AND v.version = a.version"
    " WHERE a.name = ? AND a.alias = ?"
)
_CHAMPION_BY_WORKSPACE = (
    "SELECT v.version, v.storage_location"
    " FROM registered_model_aliases a JOIN model_versions v"
    " ON v.name = a.name AND v.version = a.version AND v.workspace = a.workspace"
    " WHERE a.name = ? AND a.alias = ?"
)


class SqliteRegistry:
    """The champion alias and digest tag, read straight from MLflow's SQLite store."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def _connect(self) -> sqlite3.Connection:
        # Read-only: serving can never change (or create) the registry.
        return sqlite3.connect(f"file:{quote(str(self.database.absolute()))}?mode=ro", uri=True)

    def champion(self, name: str, alias: str, tag: str) -> tuple[str, str | None, str] | None:
        """``(version, digest tag, artifact location)`` of ``name@alias``, or None."""
        with self._connect() as connection:
            workspaces = "workspace" in {
                row[1] for row in connection.execute("PRAGMA table_info(model_versions)")
            }
            query = _CHAMPION_BY_WORKSPACE if workspaces else _CHAMPION
            rows = connection.execute(query, (name, alias)).fetchall()
            if not rows:
                return None
            if len(rows) > 1:  # the same name in several workspaces: let MLflow decide
                raise sqlite3.OperationalError("alias is ambiguous across workspaces")
            version, location = rows[0]
            tags = connection.execute(
                "SELECT value FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
                (name, version, tag),
            ).fetchall()
        return str(version), (str(tags[0][0]) if len(tags) == 1 else None), str(location)


class RestRegistry:
    """A tracking server's REST API (``/api/2.0/mlflow``) through httpx."""

    def __init__(self, uri: str, transport: Any = None) -> None:
        import httpx

        self.uri = uri.rstrip("/")
        auth: Any = None
        headers = {}
        if token := os.environ.get("MLFLOW_TRACKING_TOKEN"):
            headers["Authorization"] = f"Bearer {token}"
        elif user := os.environ.get("MLFLOW_TRACKING_USERNAME"):
            auth = (user, os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))
        self.http = httpx.Client(
            base_url=self.uri,
            headers=headers,
            auth=auth,
            timeout=HTTP_TIMEOUT_SECONDS,
            transport=transport,
            follow_redirects=False,
        )

    def _get(self, endpoint: str, **params: str) -> Any:
        import httpx

        try:
            response = self.http.get(endpoint, params=params)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{self.uri}: {type(exc).__name__}") from exc
        return response

    def champion(self, name: str, alias: str, tag: str) -> tuple[str, str | None] | None:
        response = self._get("/api/2.0/mlflow/registered-models/alias", name=name, alias=alias)
        if response.status_code in (400, 404):
            code = response.json().get("error_code") if _is_json(response) else None
            if code in ALIAS_NOT_FOUND_CODES:
                return None
        if response.status_code != 200:
            raise RegistryUnavailable(f"alias lookup answered HTTP {response.status_code}")
        version = response.json()["model_version"]
        tags = {item["key"]: item["value"] for item in version.get("tags", [])}
        return str(version["version"]), tags.get(tag)

    def download_uri(self, name: str, version: str) -> str:
        response = self._get(
            "/api/2.0/mlflow/model-versions/get-download-uri", name=name, version=version
        )
        if response.status_code != 200:
            raise RegistryUnavailable(f"download URI answered HTTP {response.status_code}")
        return str(response.json()["artifact_uri"])

    def download(self, artifact_uri: str, destination: Path) -> Path:
        """Every file below a ``mlflow-artifacts:/`` folder, through the server."""
        root = urlparse(artifact_uri).path.strip("/")
        target = destination / "model"
        self._download_dir(root, "", target)
        return target

    def _download_dir(self, root: str, relative: str, target: Path) -> None:
        path = f"{root}/{relative}".rstrip("/")
        response = self._get("/api/2.0/mlflow-artifacts/artifacts", path=path)
        if response.status_code != 200:
            raise RegistryUnavailable(f"artifact listing answered HTTP {response.status_code}")
        target.mkdir(parents=True, exist_ok=True)
        for entry in response.json().get("files", []):
            name = entry["path"].rsplit("/", 1)[-1]
            if name in ("", ".", "..") or "\\" in name:
                raise RegistryUnavailable(f"artifact listing names an invalid file: {name!r}")
            child = f"{relative}/{name}".lstrip("/")
            if entry.get("is_dir"):
                self._download_dir(root, child, target / name)
                continue
            file = self._get(f"/api/2.0/mlflow-artifacts/artifacts/{quote(f'{root}/{child}')}")
            if file.status_code != 200:
                raise RegistryUnavailable(f"artifact download answered HTTP {file.status_code}")
            (target / name).write_bytes(file.content)


def _is_json(response: Any) -> bool:
    return bool(response.headers.get("content-type", "").startswith("application/json"))
