"""Template updates keep every user edit: aiarch update and plain copier update, v1 -> v2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold import update as update_module
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from aiarch_scaffold.update import update_project
from tests.conftest import REPO_ROOT
from tests.tools import commit_all, git

pytestmark = [pytest.mark.xdist_group("update")]

OFFLINE_URL = "https://example.invalid/acme/aiarch-scaffold.git"
CONFLICT_LINE = "help: ## Show this help"
MERGE_LINE = "    seed: int = 42"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kit repository with tags v1.0.0 (today's template) and v2.0.0 (v1 + four changes)."""
    repo = tmp_path_factory.mktemp("kit") / "kit"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", repo / "template")
    shutil.copytree(REPO_ROOT / "migrations", repo / "migrations")
    git(repo, "init", "-q")
    commit_all(repo, "v1")
    git(repo, "tag", "v1.0.0")

    template = repo / "template"
    # 1. a line the user will also edit -> conflict
    _replace(template / "Makefile.jinja", CONFLICT_LINE, "help: ## List every target")
    # 2. a line far from the user's edit in the same file -> clean merge
    _replace(
        template / "packages/contracts/src/contracts/settings.py.jinja", MERGE_LINE, "    seed: int = 7"
    )
    # 3. a new file
    (template / "docs").mkdir(exist_ok=True)
    (template / "docs" / "runbook-v2.md").write_text("# Runbook\n\nNew in v2.\n")
    # 4. a renamed question, carried over by a migration
    config = (repo / "copier.yml").read_text().replace("\norganisation:", "\nowner:")
    config = config.replace("organisation | regex_search", "owner | regex_search")
    config = config.replace("organisation must be", "owner must be")
    config += (
        "\n_migrations:\n"
        "  - version: v2.0.0\n"
        "    when: \"{{ _stage == 'before' }}\"\n"
        '    command: "{{ _copier_python }} {{ _copier_conf.src_path }}/migrations/'
        'rename_answers.py {{ _copier_conf.answers_file }} organisation=owner"\n'
    )
    (repo / "copier.yml").write_text(config)
    for path in template.rglob("*.jinja"):
        text = path.read_text()
        if "organisation" in text:
            path.write_text(text.replace("organisation", "owner"))
    commit_all(repo, "v2")
    git(repo, "tag", "v2.0.0")
    return repo


@pytest.fixture(scope="module")
def bundle(kit: Path) -> Path:
    path = kit.parent / "history.bundle"
    git(kit, "bundle", "create", str(path), "--tags", "HEAD")
    return path


def _user_edits(project: Path) -> dict[str, str]:
    """Commit a generated project, then make and commit the edits a team would make."""
    git(project, "init", "-q")
    commit_all(project, "generated")
    (project / "services" / "serving" / "src" / "serving" / "team_extension.py").write_text(
        '"""Our own module."""\n\nVALUE = 1\n'
    )
    _replace(project / "Makefile", CONFLICT_LINE, "help: ## Our team's help")
    settings = project / "packages/contracts/src/contracts/settings.py"
    _replace(
        settings,
        "drift_threshold: float = Field(default=0.2",
        "drift_threshold: float = Field(default=0.3",
    )
    commit_all(project, "team edits")
    return {
        path: (project / path).read_text()
        for path in ("services/serving/src/serving/team_extension.py",)
    }


def _generate_v1(kit: Path, dest: Path) -> Path:
    create_project(dest, {"organisation": "agency"}, source=TemplateSource(kit, vcs_ref="v1.0.0"))
    return dest


def _assert_updated_keeping_edits(project: Path, user_only: dict[str, str]) -> None:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2.0.0"
    assert answers["owner"] == "agency"  # renamed question keeps its answer
    assert "organisation" not in answers
    assert (project / "docs" / "runbook-v2.md").is_file()  # new file arrives
    for path, text in user_only.items():  # user-only files untouched, byte for byte
        assert (project / path).read_text() == text
    settings = (project / "packages/contracts/src/contracts/settings.py").read_text()
    assert "seed: int = 7" in settings  # template change merged
    assert "Field(default=0.3" in settings  # user edit in the same file survives
    makefile = (project / "Makefile").read_text()
    # Conflicting hunk: both sides are kept between markers, nothing dropped.
    assert "<<<<<<< before updating" in makefile
    assert "help: ## Our team's help" in makefile
    assert "help: ## List every target" in makefile


def test_aiarch_update_keeps_every_user_edit(kit: Path, tmp_path: Path) -> None:
    project = _generate_v1(kit, tmp_path / "p")
    user_only = _user_edits(project)
    result = update_project(project, to="v2.0.0", defaults=True)
    _assert_updated_keeping_edits(project, user_only)
    assert "docs/runbook-v2.md" in result.added
    assert result.conflicts == ["Makefile"]
    assert "packages/contracts/src/contracts/settings.py" in result.modified


def test_plain_copier_update_keeps_every_user_edit(kit: Path, tmp_path: Path) -> None:
    project = _generate_v1(kit, tmp_path / "p")
    user_only = _user_edits(project)
    subprocess.run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref", "v2.0.0"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    _assert_updated_keeping_edits(project, user_only)


def test_pretend_reports_without_writing(kit: Path, tmp_path: Path) -> None:
    project = _generate_v1(kit, tmp_path / "p")
    _user_edits(project)
    head = git(project, "rev-parse", "HEAD")
    result = update_project(project, to="v2.0.0", defaults=True, pretend=True)
    assert result.pretend and "docs/runbook-v2.md" in result.added
    assert result.conflicts == ["Makefile"]
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head
    assert not (project / "docs" / "runbook-v2.md").exists()


def test_dirty_tree_is_refused_and_untouched(kit: Path, tmp_path: Path) -> None:
    project = _generate_v1(kit, tmp_path / "p")
    _user_edits(project)
    (project / "README.md").write_text("uncommitted\n")
    with pytest.raises(UsageError, match="uncommitted changes"):
        update_project(project, to="v2.0.0", defaults=True)
    assert (project / "README.md").read_text() == "uncommitted\n"
    assert "_commit: v1.0.0" in (project / ".copier-answers.yml").read_text()


def test_a_folder_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "somewhere").mkdir()
    with pytest.raises(UsageError, match="not a generated project"):
        update_project(tmp_path / "somewhere", defaults=True)


def test_offline_update_reads_the_packaged_history(
    kit: Path, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project made from the wheel records only the public URL, unreachable here.
    plain_v1 = tmp_path / "plain-v1"
    plain_v1.mkdir()
    archive = subprocess.run(
        ["git", "archive", "v1.0.0"], cwd=kit, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(plain_v1)], input=archive, check=True)
    project = tmp_path / "p"
    create_project(
        project,
        {"organisation": "agency"},
        source=TemplateSource(plain_v1, record_url=OFFLINE_URL, record_ref="v1.0.0"),
    )
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == OFFLINE_URL
    user_only = _user_edits(project)
    # No network: git may only use local transports.
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.setattr(update_module, "_packaged_bundle", lambda: bundle)
    update_project(project, to="v2.0.0", defaults=True)
    _assert_updated_keeping_edits(project, user_only)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == OFFLINE_URL  # no machine-local path leaks in


def test_cli_update_on_a_dirty_tree_exits_non_zero(kit: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aiarch_scaffold.cli import app

    project = _generate_v1(kit, tmp_path / "p")
    _user_edits(project)
    (project / "README.md").write_text("uncommitted\n")
    result = CliRunner().invoke(app, ["update", str(project), "--defaults", "--to", "v2.0.0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "uncommitted" in result.stderr
    assert (project / "README.md").read_text() == "uncommitted\n"


def test_cli_update_reports_added_files_and_conflicts(kit: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aiarch_scaffold.cli import app

    project = _generate_v1(kit, tmp_path / "p")
    _user_edits(project)
    result = CliRunner().invoke(app, ["update", str(project), "--defaults", "--to", "v2.0.0"])
    # Conflicts left to resolve: a non-zero exit so scripts notice, and the files are named.
    assert result.exit_code == 1
    assert "docs/runbook-v2.md" in result.stdout
    assert "Makefile" in result.stdout
    assert "v1.0.0 -> v2.0.0" in result.stdout


def test_cli_update_rejects_an_unknown_conflict_mode(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aiarch_scaffold.cli import app

    result = CliRunner().invoke(app, ["update", str(tmp_path), "--defaults", "--conflict", "ours"])
    assert result.exit_code == 2
    assert "allowed: inline, rej" in result.stderr
