"""Metadata written next to every dataset: manifests and lineage records, and their writer."""

import math
import shutil
import subprocess
import uuid
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from contracts.settings import Settings
from contracts.storage import LakePath, write_text_atomic

UNKNOWN_VERSION = "unknown"


class UpstreamRef(BaseModel):
    """The exact input partition a dataset was built from: its manifest's sha256 at build time.

    A consumer compares it with the input's current manifest: a raw batch replaced after the
    features were built makes the features stale, and they are refused.
    """

    dataset: str = Field(pattern=r"^[a-z0-9_]+(/[a-z0-9_]+)*$")
    # A partition folder name (``ingestion_date=2024-01-01``): never a path, never hidden.
    partition: str = Field(pattern=r"^[A-Za-z0-9_]+=[A-Za-z0-9_.-]+$")
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DatasetManifest(BaseModel):
    """Describes one written dataset so consumers can verify what they read."""

    dataset: str
    path: str
    row_count: int = Field(ge=0)
    columns: dict[str, str]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: datetime
    source: str
    upstream: list[UpstreamRef] = Field(default_factory=list)


class LineageRecord(BaseModel):
    """One run of a pipeline step: what it read, what it wrote, which code did it."""

    run_id: str
    step: str
    started_at: datetime
    finished_at: datetime
    inputs: list[str]
    outputs: list[str]
    code_version: str
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("parameters")
    @classmethod
    def _non_finite_as_text(
        cls, parameters: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        # JSON has no NaN/Infinity: as numbers they would be written as null and the record
        # could not be read back. An undefined metric (e.g. ROC AUC of one class) is "nan".
        return {
            key: str(value) if isinstance(value, float) and not math.isfinite(value) else value
            for key, value in parameters.items()
        }


def new_run_id() -> str:
    """A fresh id for one run of a step; it also names the run's lineage file."""
    return uuid.uuid4().hex


def code_version(settings: Settings) -> str:
    """The running commit: ``APP_CODE_VERSION`` (set by CI and images, which have no .git),
    else ``git rev-parse --short HEAD`` of this source tree, else ``"unknown"``.

    Never raises: lineage must not be the reason a pipeline step fails.
    """
    configured = settings.code_version.strip()
    if configured and configured != UNKNOWN_VERSION:
        return configured
    return _git_commit() or UNKNOWN_VERSION


def _git_commit() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        # Fixed argv with no user input; the source folder, not the caller's cwd, is the repo.
        result = subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def write_lineage(record: LineageRecord, lineage_dir: LakePath) -> LakePath:
    """Write ``record`` to ``lineage_dir/<run_id>.json`` atomically and return the path."""
    return write_text_atomic(
        record.model_dump_json(indent=2) + "\n", lineage_dir / f"{record.run_id}.json"
    )
