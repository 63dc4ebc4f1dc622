"""The default project made by the previous released kit updates to HEAD and still passes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from aiarch_scaffold.update import update_project
from tests.conftest import REPO_ROOT
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("previous-release")]


def _previous_release() -> str | None:
    try:
        tags = subprocess.run(
            ["git", "tag", "--merged", "HEAD", "--no-contains", "HEAD"], cwd=REPO_ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    versions = []
    for tag in tags:
        try:
            versions.append((Version(tag), tag))
        except InvalidVersion:
            continue
    return max(versions)[1] if versions else None


def test_previous_release_updates_to_head_and_passes(tmp_path: Path) -> None:
    previous = _previous_release()
    if previous is None:
        pytest.skip("no released tag reachable from HEAD in this clone yet")
    require("uv")
    kit = tmp_path / "kit"
    run(["git", "clone", "-q", str(REPO_ROOT), str(kit)], cwd=tmp_path)
    # HEAD of the clone is committed HEAD; tag it as the next version so copier moves there.
    run(["git", "tag", "v999.0.0"], cwd=kit)
    project = tmp_path / "p"
    create_project(project, source=TemplateSource(kit, vcs_ref=previous))
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@e",
                                                 "commit", "-qm", "generated"]):
        run(["git", *args], cwd=project)
    result = update_project(project, to="v999.0.0", defaults=True)
    assert not result.conflicts
    run(["uv", "sync"], cwd=project)
    run(["make", "test"], cwd=project)
