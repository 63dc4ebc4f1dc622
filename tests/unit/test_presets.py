"""Presets and organisation defaults: discovery, validation against copier.yml, precedence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import presets
from aiarch_scaffold.cli import app
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import leftover_staging

runner = CliRunner()
SHIPPED = sorted(path.stem for path in presets.SHIPPED_DIR.glob("*.yml"))


@pytest.fixture()
def config_home() -> Path:
    """The aiarch config folder of this test's (isolated) XDG_CONFIG_HOME."""
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "aiarch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_kit_ships_the_documented_presets() -> None:
    assert set(SHIPPED) >= {"aws-enterprise", "gcp-startup", "azure-regulated", "local-lab"}


def test_every_shipped_preset_is_valid_and_described() -> None:
    listed = {item.preset.name: item for item in presets.listing()}
    for name in SHIPPED:
        assert listed[name].problem == "", listed[name].problem
        assert listed[name].preset.source == "kit"
        assert listed[name].preset.description


# Each bad preset: (file content, the key the one-line error must name).
BAD_PRESETS = {
    "unknown key": ("cloud: aws\ncolour: blue\n", "colour"),
    "unknown choice": ("cloud: mars\n", "cloud"),
    "invalid combination": ("cloud: gcp\niac: cloudformation\n", "iac"),
    "failed validator": ("organisation: Not An Org\n", "organisation"),
    "key not asked": ("cloud: local\ndeploy_target: kubernetes\n", "deploy_target"),
    "template syntax": ("description: '{{ 7 * 7 }}'\n", "description"),
    "unknown metadata": ("_descripton: typo\ncloud: aws\n", "_descripton"),
    "not a mapping": ("- cloud\n- aws\n", "mapping"),
    "not yaml": ("cloud: [aws\n", "line"),
}


@pytest.mark.parametrize(("text", "key"), BAD_PRESETS.values(), ids=BAD_PRESETS.keys())
def test_a_bad_preset_is_one_line_naming_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    bad = write(tmp_path / "team" / "bad.yml", text)
    for args in (
        ["presets", "show", "bad", "--preset-dir", str(bad.parent)],
        [
            "new",
            str(tmp_path / "p"),
            "--defaults",
            "--preset",
            "bad",
            "--preset-dir",
            str(bad.parent),
        ],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert str(bad) in lines[0] and key in lines[0], lines[0]
    assert not (tmp_path / "p").exists()
    assert not leftover_staging(tmp_path)


def test_an_invalid_preset_is_listed_as_invalid_without_hiding_the_others(tmp_path: Path) -> None:
    write(tmp_path / "bad.yml", "cloud: gcp\niac: cloudformation\n")
    result = runner.invoke(app, ["presets", "list", "--preset-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "INVALID" in rows["bad"] and "iac" in rows["bad"]
    assert set(SHIPPED) <= set(rows)
    assert not any("INVALID" in rows[name] for name in SHIPPED)


def test_unknown_preset_names_the_available_ones() -> None:
    result = runner.invoke(app, ["presets", "show", "nope"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: unknown preset 'nope'; available: {', '.join(SHIPPED)}"
    )


def test_preset_dir_that_is_not_a_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["presets", "list", "--preset-dir", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_list_prints_name_source_and_description() -> None:
    result = runner.invoke(app, ["presets", "list"])
    assert result.exit_code == 0, result.output
    for name in SHIPPED:
        preset = presets.find(name)
        line = next(row for row in result.stdout.splitlines() if row.split()[0] == name)
        assert line.split()[1] == "kit"
        assert line.rstrip().endswith(preset.description)


@pytest.mark.parametrize("name", SHIPPED)
def test_show_prints_the_answers_as_a_reusable_answers_file(name: str) -> None:
    result = runner.invoke(app, ["presets", "show", name])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    on_disk = yaml.safe_load((presets.SHIPPED_DIR / f"{name}.yml").read_text())
    assert shown == on_disk


def test_team_presets_come_from_xdg_config_and_shadow_the_kit(
    tmp_path: Path, config_home: Path
) -> None:
    write(config_home / "presets" / "data-team.yml", "_description: Data team\ncloud: aws\n")
    write(
        config_home / "presets" / "local-lab.yml", "_description: Ours\ncloud: local\nci: gitlab\n"
    )
    listed = {item.preset.name: item.preset for item in presets.listing()}
    assert (listed["data-team"].source, listed["data-team"].description) == ("team", "Data team")
    assert listed["local-lab"].source == "team"
    assert presets.load("local-lab").answers == {"cloud": "local", "ci": "gitlab"}
    # --preset-dir wins over the team folder.
    write(tmp_path / "dir" / "data-team.yml", "cloud: gcp\n")
    chosen = presets.load("data-team", preset_dir=tmp_path / "dir")
    assert (chosen.source, chosen.answers) == ("preset-dir", {"cloud": "gcp"})


def test_presets_and_defaults_in_config_yml(config_home: Path) -> None:
    write(
        config_home / "config.yml",
        "defaults:\n  organisation: agency\npresets:\n  ml-team:\n    cloud: azure\n",
    )
    assert presets.load("ml-team").source == "config"
    assert presets.layered_answers(preset="ml-team") == {
        "organisation": "agency",
        "cloud": "azure",
    }


def test_config_defaults_set_the_region_and_the_codeowners_team(config_home: Path) -> None:
    write(
        config_home / "config.yml",
        "defaults:\n  organisation: agency\n  cloud_region: eu-central-1\n"
        "  codeowners_team: '@agency/ml-platform'\n",
    )
    assert presets.layered_answers(preset="aws-enterprise", data={"ci": "github"}) == {
        "organisation": "agency",
        "cloud_region": "eu-central-1",
        "codeowners_team": "@agency/ml-platform",
        "cloud": "aws",
        "iac": "terraform",
        "deploy_target": "kubernetes",
        "ci": "github",
    }


def test_an_org_region_is_left_out_of_a_project_that_asks_none(config_home: Path) -> None:
    write(config_home / "config.yml", "defaults:\n  cloud_region: europe-west3\n")
    assert presets.layered_answers(data={"project_name": "Lab"}) == {"project_name": "Lab"}
    assert presets.layered_answers(preset="local-lab") == presets.load("local-lab").answers
    assert presets.layered_answers(data={"cloud": "gcp"})["cloud_region"] == "europe-west3"


def test_the_org_region_and_team_are_questions_of_copier_yml() -> None:
    """copier.yml is the option list: config defaults accept what it asks, nothing else."""
    questions = yaml.safe_load((presets.SHIPPED_DIR.parents[2] / "copier.yml").read_text())
    assert questions["cloud_region"]["when"] == "{{ has_cloud }}"
    assert "organisation" in questions["codeowners_team"]["default"]


BAD_CONFIGS = {
    "unknown top-level key": ("default:\n  organisation: acme\n", "default"),
    "unknown question in defaults": ("defaults:\n  team: ml\n", "team"),
    "invalid default": ("defaults:\n  organisation: ACME Corp\n", "organisation"),
    "bad config preset": ("presets:\n  x:\n    ci: travis\n", "ci"),
    "region of another cloud": (
        "defaults:\n  cloud: aws\n  cloud_region: europe-west1\n",
        "cloud_region",
    ),
    "codeowners team without @": ("defaults:\n  codeowners_team: acme/ml\n", "codeowners_team"),
}


@pytest.mark.parametrize(("text", "key"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, config_home: Path, text: str, key: str
) -> None:
    config = write(config_home / "config.yml", text)
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "--preset", "x"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and key in lines[0], result.stderr
    assert not (tmp_path / "p").exists()


def test_precedence_defaults_then_preset_then_answers_file_then_data(
    tmp_path: Path, config_home: Path
) -> None:
    write(
        config_home / "config.yml",
        "defaults:\n  organisation: org-default\n  description: From the org.\n  ci: jenkins\n",
    )
    write(
        tmp_path / "team" / "t.yml",
        "organisation: team-org\ncloud: aws\nci: gitlab\ndeploy_target: containers\n",
    )
    answers_file = write(tmp_path / "answers.yml", "cloud: gcp\nci: github\n")
    merged = presets.layered_answers(
        preset="t",
        preset_dir=tmp_path / "team",
        answers_file=answers_file,
        data={"ci": "jenkins", "project_name": "Layered"},
    )
    assert merged == {
        "description": "From the org.",  # defaults only
        "organisation": "team-org",  # preset over defaults
        "deploy_target": "containers",  # preset only
        "cloud": "gcp",  # answers file over preset
        "ci": "jenkins",  # --data over answers file
        "project_name": "Layered",
    }


def test_new_with_a_preset_records_the_layered_answers(tmp_path: Path, config_home: Path) -> None:
    write(config_home / "config.yml", "defaults:\n  organisation: agency\n")
    answers_file = write(tmp_path / "answers.yml", "deploy_target: containers\n")
    result = runner.invoke(
        app,
        [
            "new",
            str(tmp_path / "p"),
            "--defaults",
            "--preset",
            "aws-enterprise",
            "-a",
            str(answers_file),
            "-d",
            "ci=github",
        ],
    )
    assert result.exit_code == 0, result.output
    recorded = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert {
        key: recorded[key] for key in ("organisation", "cloud", "iac", "deploy_target", "ci")
    } == {
        "organisation": "agency",
        "cloud": "aws",
        "iac": "terraform",
        "deploy_target": "containers",
        "ci": "github",
    }


def test_no_config_and_no_preset_opens_no_template(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("validator opened without anything to validate")

    monkeypatch.setattr(presets, "validator", refuse)
    assert presets.layered_answers(data={"ci": "gitlab"}) == {"ci": "gitlab"}


def test_a_preset_error_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "x.yml", "cloud: mars\n")
    with pytest.raises(UsageError, match=r"x\.yml: invalid value 'mars' for cloud"):
        presets.load("x", preset_dir=tmp_path)


def test_an_unreadable_preset_file_is_listed_as_invalid(tmp_path: Path) -> None:
    bad = write(tmp_path / "broken.yml", "cloud: [aws\n")
    listed = {item.preset.name: item for item in presets.listing(preset_dir=tmp_path)}
    assert str(bad) in listed["broken"].problem and "line" in listed["broken"].problem
    assert all(listed[name].problem == "" for name in SHIPPED)


@pytest.mark.parametrize("command", [["presets", "list"], ["presets", "show"], ["doctor"]])
def test_new_commands_have_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_a_preset_name_is_never_a_path(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside.yml", "cloud: aws\n")
    write(tmp_path / "team" / "ok.yml", "cloud: gcp\n")
    for name in ("../outside", str(outside), "outside"):
        with pytest.raises(UsageError, match="unknown preset"):
            presets.find(name, preset_dir=tmp_path / "team")
