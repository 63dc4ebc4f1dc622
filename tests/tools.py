"""Runs external tools for template tests: skipped locally when missing, required in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

REQUIRED = os.environ.get("AIARCH_REQUIRE_TOOLS") == "1"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{tool} is required in CI (AIARCH_REQUIRE_TOOLS=1) but is not installed")
        pytest.skip(f"{tool} is not installed")
    return path


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a command and fail the test with its output (tail) when it exits non-zero."""
    merged = {**os.environ, **(env or {})}
    merged.pop("VIRTUAL_ENV", None)  # the kit's venv must not leak into generated projects
    result = subprocess.run(
        list(args), cwd=cwd, env=merged, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-6000:]
        pytest.fail(f"{' '.join(args)} exited {result.returncode} in {cwd}:\n{output}")
    return result


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; its stdout (fails the test on a non-zero exit)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    """Stage everything in ``repo`` and commit it with a fixed test identity."""
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
