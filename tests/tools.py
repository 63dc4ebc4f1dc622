"""Runs external tools for template tests: skipped locally when missing, required in CI."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import pytest

REQUIRED = os.environ.get("AIARCH_REQUIRE_TOOLS") == "1"
# The CPU build of torch this machine kind carries (download.pytorch.org is unreachable here).
TORCH_WHEELS = Path(os.environ.get("AIARCH_TORCH_WHEELS", "/opt/wheels"))
# The explicit uv index a pytorch project declares (template/pyproject.toml.jinja).
PYTORCH_INDEX = "pytorch-cpu"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{tool} is required in CI (AIARCH_REQUIRE_TOOLS=1) but is not installed")
        pytest.skip(f"{tool} is not installed")
    return path


@functools.cache
def local_torch_index() -> Path:
    """A PEP 503 simple index holding (a link to) the local CPU torch wheel, built once per
    test process: uv resolves a pytorch project's explicit index from it when
    ``UV_INDEX="pytorch-cpu=<its file URL>"`` (a bare find-links folder does not work there).
    """
    wheels = sorted(TORCH_WHEELS.glob("torch-*+cpu-*.whl"))
    if not wheels:
        message = f"no CPU torch wheel in {TORCH_WHEELS} (set AIARCH_TORCH_WHEELS)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="aiarch-torch-index-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    package = root / "torch"
    package.mkdir()
    links = []
    for wheel in wheels:
        (package / wheel.name).symlink_to(wheel)
        links.append(f'<a href="{quote(wheel.name)}">{wheel.name}</a><br>')
    (package / "index.html").write_text(
        "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
    )
    return root


def project_env(project: Path) -> dict[str, str]:
    """What a generated project needs from this machine to install: the local torch index in
    place of the PyTorch CPU index, when the project declares that index (ml_framework=pytorch).
    The project itself is never changed."""
    pyproject = project / "pyproject.toml"
    if pyproject.is_file() and f'name = "{PYTORCH_INDEX}"' in pyproject.read_text():
        return {"UV_INDEX": f"{PYTORCH_INDEX}={local_torch_index().as_uri()}"}
    return {}


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a command and fail the test with its output (tail) when it exits non-zero.

    In a generated project, ``project_env`` is added (so `make install` of a pytorch project
    finds torch on this machine); ``env`` wins over both.
    """
    merged = {**os.environ, **project_env(Path(cwd)), **(env or {})}
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
