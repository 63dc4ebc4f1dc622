"""Every shipped preset renders the same project as its file given to --answers-file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import doctor, generate, presets
from aiarch_scaffold.cli import app
from aiarch_scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT
from tests.tools import run

pytestmark = pytest.mark.xdist_group("presets")
runner = CliRunner()
SHIPPED = sorted(path.stem for path in presets.SHIPPED_DIR.glob("*.yml"))


@pytest.fixture(scope="module")
def clean_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean clone: copier commits a dirty checkout anew on every run, changing `_commit`."""
    kit = tmp_path_factory.mktemp("kit") / "kit"
    run(["git", "clone", "-q", str(REPO_ROOT), str(kit)], cwd=kit.parent)
    return kit


@pytest.fixture()
def from_clean_kit(clean_kit: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "default_source", lambda: TemplateSource(clean_kit, "HEAD"))


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _new(destination: Path, *args: str) -> None:
    result = runner.invoke(app, ["new", str(destination), "--defaults", *args])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("from_clean_kit")
@pytest.mark.parametrize("name", SHIPPED)
def test_preset_renders_byte_identical_to_its_answers_file(tmp_path: Path, name: str) -> None:
    _new(tmp_path / "by-preset", "--preset", name)
    _new(tmp_path / "by-file", "--answers-file", str(presets.SHIPPED_DIR / f"{name}.yml"))
    by_preset = _tree(tmp_path / "by-preset")
    assert by_preset == _tree(tmp_path / "by-file")
    recorded = yaml.safe_load(by_preset[".copier-answers.yml"])
    assert presets.find(name).answers.items() <= recorded.items()
    if name == "aws-enterprise":
        # doctor reads the answers file a real render writes: EKS needs kubectl.
        needed = {f.command for f in doctor.examine(tmp_path / "by-preset")}
        assert {"kubectl", "terraform", "aws"} <= needed
