"""Where the template lives, and what a generated project records as its source.

Two layouts hold ``copier.yml`` + ``template/``:
- the installed wheel (``aiarch_scaffold/_template``): a plain folder, fast to render, plus
  ``history.bundle`` (the kit's git history, a ``vX.Y.Z`` tag per release in ``releases.toml``)
  and ``REF`` (the commit it was built from);
- a git checkout of the kit (development): copier reads it as a git repository.

Projects rendered from the wheel record the kit's public URL and ``REF`` in
``.copier-answers.yml``, so plain ``copier update`` works wherever that URL is reachable,
and ``aiarch update`` redirects that URL to the bundle to work offline.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiarch_scaffold.errors import ScaffoldError

CONFIG_FILE = "copier.yml"
PUBLIC_URL = "https://github.com/aiarch-scaffold/aiarch-scaffold.git"
_PACKAGED = Path(__file__).resolve().parent / "_template"
_CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TemplateSource:
    """A template to render, and the source/ref a rendered project should record."""

    root: Path
    vcs_ref: str | None = None
    record_url: str | None = None
    record_ref: str | None = None
    bundle: Path | None = None


def public_url() -> str:
    """The URL projects record; agencies with a fork set AIARCH_TEMPLATE_URL."""
    return os.environ.get("AIARCH_TEMPLATE_URL", PUBLIC_URL)


def _packaged() -> TemplateSource | None:
    if not (_PACKAGED / CONFIG_FILE).is_file():
        return None
    bundle = _PACKAGED / "history.bundle"
    ref_file = _PACKAGED / "REF"
    has_history = bundle.is_file() and ref_file.is_file()
    return TemplateSource(
        root=_PACKAGED,
        record_url=public_url() if has_history else None,
        record_ref=ref_file.read_text(encoding="utf-8").strip() if has_history else None,
        bundle=bundle if has_history else None,
    )


def default_source() -> TemplateSource:
    """The wheel's copy wins over a checkout."""
    packaged = _packaged()
    if packaged is not None:
        return packaged
    if (_CHECKOUT / CONFIG_FILE).is_file() and (_CHECKOUT / "template").is_dir():
        # A development checkout renders what is checked out (copier's default is the newest tag).
        return TemplateSource(
            root=_CHECKOUT, vcs_ref="HEAD" if (_CHECKOUT / ".git").exists() else None
        )
    raise ScaffoldError(
        f"template not found: neither {_PACKAGED} nor {_CHECKOUT} has {CONFIG_FILE}"
    )


def template_root() -> Path:
    """Folder holding ``copier.yml`` and ``template/``."""
    return default_source().root


def git_toplevel(path: Path) -> Path | None:
    """The root of the git work tree holding ``path``; None when it is in none."""
    probe = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    return Path(probe.stdout.strip()).resolve() if probe.returncode == 0 else None
