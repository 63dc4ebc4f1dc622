"""Plain `copier copy`, as a user without `aiarch` runs it: what the kit promises copier itself
renders and refuses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import REPO_ROOT


def plain_copier(
    answers: Mapping[str, object], destination: Path, kit: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    """`copier copy` of the kit's HEAD with these answers and every other default, as a user
    without `aiarch` runs it; the caller checks the exit status."""
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    command = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet"]
    return subprocess.run(
        [*command, *data, "--vcs-ref", "HEAD", str(kit), str(destination)],
        cwd=destination.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def plain_render(answers: Mapping[str, object], destination: Path) -> Path:
    """The project plain copier renders; the test fails with copier's output if it refuses."""
    result = plain_copier(answers, destination)
    assert result.returncode == 0, result.stdout + result.stderr
    return destination


def plain_refusal(answers: Mapping[str, object], destination: Path) -> str:
    """Copier's output when it refuses these answers, having written nothing."""
    result = plain_copier(answers, destination)
    assert result.returncode != 0
    assert not destination.exists()
    return result.stdout + result.stderr
