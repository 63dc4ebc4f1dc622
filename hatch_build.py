"""Build hook: ship the template's git history inside the wheel, so updates work offline.

copier can only update from a git-tracked source. The wheel carries
``aiarch_scaffold/_template/history.bundle`` (every tag plus HEAD of this repository) and
``REF`` (``git describe`` of the commit the wheel was built from). `aiarch update` points
copier at the bundle; see docs/adr/0002-template-history-in-the-wheel.md.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_NAME = "template-history.bundle"
REF_NAME = "template-history.ref"
RELEASE_BRANCH = "aiarch-release"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "template-history"

    def _make_bundle(self, root: Path, out: Path) -> bool:
        if not (root / ".git").exists() or shutil.which("git") is None:
            return False
        try:
            ref = _git(root, "describe", "--tags", "--always")
            head = _git(root, "rev-parse", "HEAD")
            # copier keeps remote templates as `--mirror` clones, which fetch refs/* only: the
            # built commit needs a branch ref, even when the build runs on a detached HEAD.
            # A throwaway mirror gets that ref, so the source repository is not touched.
            mirror = out / "history.git"
            shutil.rmtree(mirror, ignore_errors=True)
            _git(root, "clone", "--quiet", "--mirror", str(root), str(mirror))
            _git(mirror, "update-ref", f"refs/heads/{RELEASE_BRANCH}", head)
            _git(mirror, "symbolic-ref", "HEAD", f"refs/heads/{RELEASE_BRANCH}")
            _git(
                mirror,
                "bundle",
                "create",
                str(out / BUNDLE_NAME),
                "--tags",
                f"refs/heads/{RELEASE_BRANCH}",
                "HEAD",
            )
            shutil.rmtree(mirror, ignore_errors=True)
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
