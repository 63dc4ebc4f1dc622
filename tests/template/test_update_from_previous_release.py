"""A project made by the previous release updates, offline, to HEAD's wheel and still passes.

Git tags never reach a clean clone, so the previous release comes from the release record
(releases.toml), and the kit is cloned without tags: the wheel's history bundle must get its
tags from the record for copier to find the version the project was made from.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold import releases
from aiarch_scaffold import update as update_module
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import PUBLIC_URL, TemplateSource
from aiarch_scaffold.update import update_project
from tests.conftest import REPO_ROOT
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("previous-release")]

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@e"]


def _previous_release() -> releases.Release:
    head = run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT).stdout.strip()
    earlier = [r for r in releases.load(REPO_ROOT / releases.RECORD_FILE) if r.commit != head]
    assert earlier, f"{releases.RECORD_FILE} records no release before HEAD"
    return earlier[-1]


def _wheel_history(kit: Path, out: Path) -> tuple[Path, str]:
    """Build the kit's wheel and take out its history bundle and REF."""
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out)], cwd=kit)
    with zipfile.ZipFile(next(out.glob("aiarch_scaffold-*.whl"))) as wheel:
        bundle = out / "history.bundle"
        bundle.write_bytes(wheel.read("aiarch_scaffold/_template/history.bundle"))
        ref = wheel.read("aiarch_scaffold/_template/REF").decode().strip()
    return bundle, ref


def _released_template(kit: Path, release: releases.Release, dest: Path) -> Path:
    """The plain template folder the release's wheel carried."""
    dest.mkdir()
    archive = subprocess.run(
        ["git", "archive", release.commit, "copier.yml", "template", "migrations"],
        cwd=kit,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def test_previous_release_updates_to_head_and_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("uv")
    previous = _previous_release()
    kit = tmp_path / "kit"
    # Like a clean clone of main: history, no tags (even where this checkout has some).
    run(["git", "clone", "-q", "--no-tags", str(REPO_ROOT), str(kit)], cwd=tmp_path)
    assert run(["git", "tag"], cwd=kit).stdout == ""
    bundle, ref = _wheel_history(kit, tmp_path / "dist")
    assert run(["git", "for-each-ref", "refs/tags"], cwd=kit).stdout == ""  # none left behind
    heads = run(["git", "bundle", "list-heads", str(bundle)], cwd=tmp_path).stdout
    assert f"{previous.commit} refs/tags/{previous.tag}\n" in heads

    # As the previous release's wheel made it: the public URL and the release's tag recorded.
    project = tmp_path / "p"
    plain = _released_template(kit, previous, tmp_path / "released")
    create_project(
        project, source=TemplateSource(plain, record_url=PUBLIC_URL, record_ref=previous.tag)
    )
    for args in (["init", "-q"], ["add", "-A"], [*GIT_ID, "commit", "-qm", "generated"]):
        run(["git", *args], cwd=project)

    # As HEAD's wheel updates it: offline, from the bundle, to the wheel's own commit.
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.setattr(update_module, "_packaged_bundle", lambda: bundle)
    monkeypatch.setattr(update_module, "_packaged_ref", lambda: ref)
    result = update_project(project, defaults=True)
    assert (result.from_ref, result.to_ref) == (previous.tag, ref)
    assert result.changed and not result.conflicts
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == ref
    assert answers["_src_path"] == PUBLIC_URL
    run(["uv", "sync"], cwd=project)
    run(["make", "test"], cwd=project)
