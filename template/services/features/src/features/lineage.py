"""Lineage records: which code turned which inputs into which outputs, one JSON file per run."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from contracts import LineageRecord

CODE_VERSION_ENV = "APP_CODE_VERSION"
UNKNOWN_VERSION = "unknown"


def new_run_id() -> str:
    return uuid.uuid4().hex


def code_version() -> str:
    """The deployed commit: ``APP_CODE_VERSION`` (set by CI/images, which have no .git), else
    ``git rev-parse --short HEAD`` of this source tree, else ``"unknown"``. Never raises:
    lineage must not be the reason a pipeline step fails.
    """
    configured = os.environ.get(CODE_VERSION_ENV, "").strip()
    if configured:
        return configured
    git = shutil.which("git")
    if git is None:
        return UNKNOWN_VERSION
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
        return UNKNOWN_VERSION
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else UNKNOWN_VERSION


def write_lineage(record: LineageRecord, lineage_dir: Path) -> Path:
    """Write ``record`` to ``lineage_dir/<run_id>.json`` atomically and return the path."""
    lineage_dir.mkdir(parents=True, exist_ok=True)
    path = lineage_dir / f"{record.run_id}.json"
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(record.model_dump_json(indent=2) + "\n")
    staging.replace(path)
    return path
