"""Reading a rendered project's infrastructure and running its own validators, for kit tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SPARK_TARGETS = ("containers", "kubernetes")


def unquote(value: Any) -> Any:
    """python-hcl2 keeps quotes around strings; drop them, recursively (keys too)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(item) for item in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not k.startswith("__")}
    return value


def load_raw_hcl(path: Path) -> dict[str, Any]:
    """A Terraform file as python-hcl2 parses it (strings keep their quotes)."""
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)  # type: ignore[no-any-return]


def load_hcl(path: Path) -> dict[str, Any]:
    """A Terraform file as python-hcl2 parses it, strings unquoted."""
    return unquote(load_raw_hcl(path))  # type: ignore[no-any-return]


def hcl_blocks(path: Path, kind: str = "resource") -> dict[tuple[str, str], dict[str, Any]]:
    """The ``resource`` (or ``data``) blocks of a Terraform file by (type, name), unquoted."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in load_hcl(path).get(kind, []):
        for block_type, named in entry.items():
            for name, body in named.items():
                found[(block_type, name)] = body
    return found


def spark_projects(factory: pytest.TempPathFactory, cloud: str, **answers: str) -> dict[str, Path]:
    """processing=spark on ``cloud`` (and ``answers``), rendered for each deploy target (its
    managed Spark)."""
    from aiarch_scaffold.generate import create_project

    return {
        target: create_project(
            factory.mktemp(target) / "p",
            {"cloud": cloud, "deploy_target": target, "processing": "spark", **answers},
        ).destination
        for target in SPARK_TARGETS
    }


def project_checks(project: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """The project's `tools/check.py --only <names>`, as `make check` runs them."""
    return subprocess.run(
        [sys.executable, "tools/check.py", "--only", *names],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHECK_REQUIRE_ALL": os.environ.get("CHECK_REQUIRE_ALL", "0")},
        timeout=900,
    )


def sync_dags_recorded(project: Path, calls: Path, stubs: str) -> list[str]:
    """`scripts/deploy.sh dags` (``sync_dags dev``) run through bash with the cloud CLIs replaced
    by the shell functions ``stubs`` (no cloud here); ``infra_output`` is always recorded into
    ``calls`` and answers ``out-<name>``. Returns the recorded calls, one per line."""
    from tests.tools import require

    require("bash")
    recorder = f'infra_output() {{ echo "infra_output $*" >>{calls}; echo "out-$1"; }}\n'
    script = f"{recorder}{stubs}\nsource scripts/deploy/dags.sh\nsync_dags dev\n"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PROJECT_ROOT": str(project), "IMAGE_TAG": "v1"},
    )
    assert result.returncode == 0, result.stderr
    return calls.read_text().splitlines()
