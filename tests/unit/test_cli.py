from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from aiarch_scaffold import __version__
from aiarch_scaffold.cli import app
from aiarch_scaffold.generate import leftover_staging
from aiarch_scaffold.questions import question_names

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of the CLI, as the words that invoke it (typer vendors
    click, so groups are found by their ``commands``, not by click's classes)."""
    paths = [path]
    if isinstance(getattr(command, "commands", None), dict):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*path, name))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    # add service / add --from, presets list|show, export backstage, audit, doctor: issue 14.
    assert {("add",), ("presets", "show"), ("export", "backstage"), ("audit",), ("doctor",)} <= {
        path[:2] if path[:1] in {("presets",), ("export",)} else path[:1] for path in paths
    }
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage" in result.stdout, path
        command = root
        for word in path:
            command = command.commands[word]
        assert (command.help or "").strip(), f"`aiarch {' '.join(path)}` has no help text"


def test_options_json_lists_every_question_from_copier_yml() -> None:
    result = runner.invoke(app, ["options", "--json"])
    assert result.exit_code == 0
    assert [q["name"] for q in json.loads(result.stdout)] == question_names()


def test_new_with_defaults_prints_a_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["new", str(tmp_path / "p"), "--defaults", "-d", "organisation=acme-ml"]
    )
    assert result.exit_code == 0, result.stderr
    assert "acme-ml" in result.stdout
    assert "make install" in result.stdout
    assert "organisation: acme-ml" in (tmp_path / "p" / ".copier-answers.yml").read_text()


def test_answers_file_then_data_override(tmp_path: Path) -> None:
    preset = tmp_path / "preset.yml"
    preset.write_text("organisation: agency\nproject_name: Preset Name\n")
    result = runner.invoke(
        app,
        [
            "new",
            str(tmp_path / "p"),
            "--defaults",
            "-a",
            str(preset),
            "-d",
            "project_name=Override",
        ],
    )
    assert result.exit_code == 0, result.stderr
    recorded = (tmp_path / "p" / ".copier-answers.yml").read_text()
    assert "organisation: agency" in recorded
    assert "project_name: Override" in recorded


BAD_INPUTS = {
    "invalid slug": ["--defaults", "-d", "project_slug=9lives"],
    "empty name": ["--defaults", "-d", "project_name="],
    "unknown choice": ["--defaults", "-d", "use_case=fraud"],
    "unknown key": ["--defaults", "-d", "colour=blue"],
    "computed value": ["--defaults", "-d", "cloud=aws", "-d", "on_kubernetes=false"],
    "malformed pair": ["--defaults", "-d", "colour"],
    "jinja in text": ["--defaults", "-d", "description={{ 7 * 7 }}"],
    "shell in text": ["--defaults", "-d", "project_name=a$(touch pwned)"],
    "no tty without defaults": [],
}


@pytest.mark.parametrize("args", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "p").exists()
    assert not leftover_staging(tmp_path)
    assert not (tmp_path / "pwned").exists()


def test_computed_values_are_named_as_such(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "-d", "has_cloud=true"])
    assert result.exit_code == 2
    assert "'has_cloud' is computed from other answers, not a question" in result.stderr
    options = runner.invoke(app, ["options"])
    assert options.exit_code == 0 and "has_cloud" not in options.stdout


def test_malformed_answers_file(tmp_path: Path) -> None:
    preset = tmp_path / "preset.yml"
    preset.write_text("project_name: [oops")
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "-a", str(preset)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: answers file")
    assert not (tmp_path / "p").exists()


def test_traversal_in_destination(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", f"{tmp_path}/x/../../p", "--defaults"])
    assert result.exit_code == 2
    assert "'..'" in result.stderr
