"""Release builds: the wheel's history-bundle tags come from releases.toml, never from the
building repository, and a release is tagged once, on its own commit."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from aiarch_scaffold import __version__, releases
from tests.conftest import REPO_ROOT
from tests.tools import run

pytestmark = pytest.mark.slow


def _build(kit: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(kit)],
        cwd=kit,
        capture_output=True,
        text=True,
        check=False,
    )


def _packaged(wheel_dir: Path, name: str) -> bytes:
    with zipfile.ZipFile(next(wheel_dir.glob("aiarch_scaffold-*.whl"))) as wheel:
        return wheel.read(f"aiarch_scaffold/_template/{name}")


def _commit(kit: Path, message: str) -> str:
    run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam", message], cwd=kit)
    return run(["git", "rev-parse", "HEAD"], cwd=kit).stdout.strip()


def _set_version(kit: Path, version: str) -> None:
    path = kit / "src" / "aiarch_scaffold" / "__init__.py"
    text = re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', path.read_text())
    path.write_text(text)


def test_release_builds_tag_the_release_commit_only_until_it_is_recorded(tmp_path: Path) -> None:
    """The wheel's tags come from releases.toml; a release is tagged once, on its own commit."""
    kit = tmp_path / "kit"
    run(["git", "clone", "-q", "--no-tags", str(REPO_ROOT), str(kit)], cwd=tmp_path)
    record = releases.load(kit / releases.RECORD_FILE)
    nxt = Version(__version__).base_version

    # A development build: every recorded release is a tag, REF describes HEAD against them.
    assert _build(kit, tmp_path / "dev").returncode == 0
    bundle = tmp_path / "dev.bundle"
    bundle.write_bytes(_packaged(tmp_path / "dev", "history.bundle"))
    heads = run(["git", "bundle", "list-heads", str(bundle)], cwd=tmp_path).stdout
    for release in record:
        assert f"{release.commit} refs/tags/{release.tag}\n" in heads
    assert _packaged(tmp_path / "dev", "REF").decode().startswith(f"{record[-1].tag}-")

    # The release commit: its wheel tags it and records the tag as REF.
    _set_version(kit, nxt)
    release_commit = _commit(kit, f"v{nxt}: release")
    assert _build(kit, tmp_path / "release").returncode == 0
    assert _packaged(tmp_path / "release", "REF").decode().strip() == f"v{nxt}"

    # A later commit that did not record the release: refused, not tagged a second time.
    (kit / "README.md").write_text("later\n")
    _commit(kit, "later, release not recorded")
    refused = _build(kit, tmp_path / "later")
    assert refused.returncode != 0
    assert f"version {nxt} was released at {release_commit[:12]}" in refused.stdout + refused.stderr

    # Recorded, but the version not moved on: refused too.
    entry = (
        f'\n[[release]]\nversion = "{nxt}"\ncommit = "{release_commit}"\n'
        f"date = {run(['git', 'show', '-s', '--format=%cs', release_commit], cwd=kit).stdout}"
        'summary = "test release"\n'
    )
    with (kit / releases.RECORD_FILE).open("a") as handle:
        handle.write(entry)
    refused = _build(kit, tmp_path / "stale")
    assert refused.returncode != 0
    assert f"package version {nxt} is not newer than the last release" in (
        refused.stdout + refused.stderr
    )
    assert run(["git", "for-each-ref", "refs/tags"], cwd=kit).stdout == ""  # builds tag nothing
