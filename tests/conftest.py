from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.template_source import template_root

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _quiet_copier_warnings(recwarn: pytest.WarningsRecorder) -> None:
    """copier warns about dirty checkouts while we develop; those are not test failures."""


@pytest.fixture(autouse=True)
def _no_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The developer's ~/.config/aiarch (org defaults, team presets) must not reach any test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture()
def template_copy(tmp_path: Path) -> Path:
    """A plain-folder copy of the template the test may break without touching the repo."""
    import shutil

    root = tmp_path / "template-src"
    root.mkdir()
    shutil.copy2(template_root() / "copier.yml", root / "copier.yml")
    shutil.copytree(template_root() / "template", root / "template")
    return root
