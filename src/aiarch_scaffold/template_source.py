"""Where the template lives: inside the installed wheel, or at the root of a checkout."""

from __future__ import annotations

from pathlib import Path

from aiarch_scaffold.errors import ScaffoldError

CONFIG_FILE = "copier.yml"
_PACKAGED = Path(__file__).resolve().parent / "_template"
_CHECKOUT = Path(__file__).resolve().parents[2]


def template_root() -> Path:
    """Folder holding ``copier.yml`` and ``template/``; the wheel's copy wins over a checkout."""
    for candidate in (_PACKAGED, _CHECKOUT):
        if (candidate / CONFIG_FILE).is_file() and (candidate / "template").is_dir():
            return candidate
    raise ScaffoldError(
        f"template not found: neither {_PACKAGED} nor {_CHECKOUT} has {CONFIG_FILE}"
    )
