"""Build hook: ship the template's git history inside the wheel, so updates work offline.

copier can only update from a git-tracked source. The wheel carries
``aiarch_scaffold/_template/history.bundle`` and ``REF`` (``git describe`` of the built commit
against those tags). The bundle's tags come from the release record ``releases.toml``, never
from tags of the building repository (a clean clone has none); see
docs/adr/0002-template-history-in-the-wheel.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from packaging.version import Version

BUNDLE_NAME = "template-history.bundle"
REF_NAME = "template-history.ref"
RELEASE_BRANCH = "aiarch-release"
RECORD_FILE = "releases.toml"
VERSION_FILE = "src/aiarch_scaffold/__init__.py"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def _load_releases(root: Path) -> tuple[Any, ...]:
    """The release record, parsed by the package's own module (stdlib + packaging only)."""
    sys.path.insert(0, str(root / "src"))
    try:
        from aiarch_scaffold import releases
    finally:
        sys.path.remove(str(root / "src"))
    return releases.load(root / RECORD_FILE)


def history_tags(root: Path, version: str, head: str) -> dict[str, str]:
    """Tag name -> commit for the bundle: every recorded release, plus the built commit when
    it is a release not yet recorded (the release commit itself cannot hold its own SHA)."""
    recorded = _load_releases(root)
    tags = {release.tag: release.commit for release in recorded}
    current = Version(version)
    last = recorded[-1] if recorded else None
    if last is not None and current <= last.version:
        raise RuntimeError(
            f"package version {current} is not newer than the last release {last.version} "
            f"({last.commit[:12]}); bump src/aiarch_scaffold/__init__.py"
        )
    if not (current.is_prerelease or current.is_devrelease or current.is_postrelease):
        # Only the release commit (the one that set this version) may carry the new tag.
        set_by = _git(
            root, "log", "-1", "--format=%H", f'-S__version__ = "{current}"', "--", VERSION_FILE
        )
        if set_by != head:
            raise RuntimeError(
                f"version {current} was released at {set_by[:12]}: record it in "
                f"{RECORD_FILE} and move {VERSION_FILE} to the next .dev0 version"
            )
        tags[f"v{current}"] = head
    return tags


def make_history_bundle(root: Path, version: str, out: Path) -> str:
    """Write ``out`` (a git bundle) and return the built commit's ``git describe``.

    The refs live in a throwaway bare repository: nothing is created in ``root``. The built
    commit is a branch too, because copier keeps remote templates as ``--mirror`` clones,
    which fetch ``refs/*`` only (a detached HEAD would be lost).
    """
    head = _git(root, "rev-parse", "HEAD")
    tags = history_tags(root, version, head)
    with tempfile.TemporaryDirectory(prefix="aiarch-history-") as tmp:
        repo = Path(tmp) / "history.git"
        _git(Path(tmp), "init", "--quiet", "--bare", str(repo))
        _git(repo, "fetch", "--quiet", "--no-tags", str(root), f"HEAD:refs/heads/{RELEASE_BRANCH}")
        if _git(repo, "rev-parse", RELEASE_BRANCH) != head:
            raise RuntimeError(f"HEAD of {root} moved during the build")
        _git(repo, "symbolic-ref", "HEAD", f"refs/heads/{RELEASE_BRANCH}")
        for tag, commit in tags.items():
            # Only history of the built commit: a recorded commit outside it is an error.
            _git(repo, "merge-base", "--is-ancestor", commit, head)
            _git(repo, "update-ref", f"refs/tags/{tag}", commit)
        _git(repo, "bundle", "create", "--quiet", str(out), "--all")
        # A fixed abbreviation: copier describes the same commit in its clone of the bundle
        # (update.redirect_env sets core.abbrev to match); git's automatic length depends on
        # each repository's object count, so the two would otherwise drift apart.
        return _git(repo, "describe", "--tags", "--always", f"--abbrev={DESCRIBE_ABBREV}", head)


DESCRIBE_ABBREV = 12


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "template-history"

    def _make_bundle(self, root: Path, out: Path) -> bool:
        if not (root / ".git").exists() or shutil.which("git") is None:
            return False
        try:
            ref = make_history_bundle(root, self.metadata.version, out / BUNDLE_NAME)
        except subprocess.CalledProcessError as exc:
            self.app.display_warning(f"no template history bundle: {exc.stderr.strip()}")
            return False
        (out / REF_NAME).write_text(ref + "\n", encoding="utf-8")
        return True

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        out = Path(self.directory) / ".template-history"
        out.mkdir(parents=True, exist_ok=True)
        made = self._make_bundle(root, out)
        if not made and (root / BUNDLE_NAME).is_file():
            # Building a wheel from an sdist: the sdist carries the bundle made at its build.
            shutil.copy2(root / BUNDLE_NAME, out / BUNDLE_NAME)
            shutil.copy2(root / REF_NAME, out / REF_NAME)
            made = True
        if not made:
            self.app.display_warning("built without template history: `aiarch update` needs git")
            return
        if self.target_name == "wheel":
            build_data["force_include"][str(out / BUNDLE_NAME)] = (
                "aiarch_scaffold/_template/history.bundle"
            )
            build_data["force_include"][str(out / REF_NAME)] = "aiarch_scaffold/_template/REF"
        else:
            build_data["force_include"][str(out / BUNDLE_NAME)] = BUNDLE_NAME
            build_data["force_include"][str(out / REF_NAME)] = REF_NAME
