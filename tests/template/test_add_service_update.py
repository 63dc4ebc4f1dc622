"""An added service survives `aiarch update`, and follows a newer component template, on any
machine that has the kit installed.

The kit is a git repository tagged v1.0.0 and v1.1.0 (as test_update.py builds it, with the
components); v1.1.0 changes both the main template and the service component. The kit's
components are read from a clone of it checked out at the version "installed".
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import component_source, components
from aiarch_scaffold.cli import app
from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from aiarch_scaffold.update import update_project
from tests.conftest import REPO_ROOT
from tests.tools import commit_all, git

pytestmark = [pytest.mark.xdist_group("add-component")]

README_LINE = "Template v1.1.0 was here."
COMPONENT_LINE = "Owner: the team that added it."
USER_LINE = 'return {"id": record["id"], "processed": True, "by": "our team"}'
COMPONENT_README = "components/service/template/services/{{ service_name }}/README.md.jinja"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("kit") / "kit"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", repo / "template")
    shutil.copytree(REPO_ROOT / "migrations", repo / "migrations")
    shutil.copytree(REPO_ROOT / "components", repo / "components")
    git(repo, "init", "-q")
    commit_all(repo, "v1")
    git(repo, "tag", "v1.0.0")
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + f"\n{README_LINE}\n")
    component = repo / COMPONENT_README
    component.write_text(component.read_text() + f"\n{COMPONENT_LINE}\n")
    commit_all(repo, "v1.1")
    git(repo, "tag", "v1.1.0")
    return repo


@pytest.fixture()
def installed(kit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kit "installed" here: a clone at v1.0.0 (`git checkout` moves it to a newer kit)."""
    clone = tmp_path / "installed"
    git(tmp_path, "clone", "-q", str(kit), str(clone))
    git(clone, "checkout", "-q", "v1.0.0")
    monkeypatch.setattr(components, "template_root", lambda: clone)
    monkeypatch.delenv("AIARCH_COMPONENT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-a" / "cache"))
    return clone


def _another_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh HOME and cache: nothing the first machine cached is there."""
    shutil.rmtree(tmp_path / "machine-a")
    home = tmp_path / "machine-b"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    assert not component_source.component_cache().exists()


def test_service_added_on_one_machine_updates_on_another(
    kit: Path, installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    answers_file = project / ".copier-answers.service-orders.yml"
    recorded = yaml.safe_load(answers_file.read_text())
    # The project records where the component is, not where this machine cached it.
    assert recorded["_src_path"] == component_source.component_url("service")
    assert recorded["_commit"] == "v1.0.0"
    assert str(tmp_path) not in answers_file.read_text()
    _another_machine(tmp_path, monkeypatch)
    git(installed, "checkout", "-q", "v1.1.0")  # a newer kit installed there
    result = update_project(project, to="v1.1.0", defaults=True)
    assert result.conflicts == []
    assert README_LINE in (project / "README.md").read_text()
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()
    _assert_service_intact(project)
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "v1.1.0"


def _wheel(kit: Path, at: Path, ref: str, commit: str) -> Path:
    """What the wheel carries: the kit's components as a plain folder (of ``commit``), its
    history as a bundle, and the built commit's REF."""
    at.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit, "components"], cwd=kit, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(at)], input=archive, check=True)
    git(kit, "bundle", "create", "-q", str(at / component_source.BUNDLE), "--all")
    (at / component_source.REF_FILE).write_text(f"{ref}\n")
    return at


def test_an_installed_wheel_rebuilds_the_component_from_its_bundle(
    kit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_wheel = _wheel(kit, tmp_path / "wheel-1.0", "v1.0.0", "v1.0.0")
    monkeypatch.setattr(components, "template_root", lambda: old_wheel)
    monkeypatch.delenv("AIARCH_COMPONENT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-a" / "cache"))
    project = _project_with_service(kit, tmp_path / "p")
    answers_file = project / ".copier-answers.service-orders.yml"
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "v1.0.0"
    _another_machine(tmp_path, monkeypatch)
    newer = git(kit, "rev-parse", "v1.1.0").strip()
    # A development wheel: REF is `git describe` of the built commit against the release tags.
    new_wheel = _wheel(kit, tmp_path / "wheel-dev", f"v1.0.0-1-g{newer[:7]}", newer)
    monkeypatch.setattr(components, "template_root", lambda: new_wheel)
    update_project(project, to="v1.1.0", defaults=True)
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()
    _assert_service_intact(project)
    # Named by the release tag its commit carries in the bundle, whatever REF abbreviates.
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "v1.1.0"


def test_component_version_between_releases_is_rebuilt_from_kit_history(
    kit: Path, installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kit built from a commit after a release records `vX.postN+g<commit>`; another
    machine rebuilds that version from the commit the tag names."""
    git(installed, "checkout", "-q", "v1.0.0")
    docs = installed / "components/service/copier.yml"
    docs.write_text(docs.read_text() + "# a development commit after v1.0.0\n")
    commit_all(installed, "dev")
    dev = git(installed, "rev-parse", "HEAD").strip()
    project = _project_with_service(kit, tmp_path / "p")
    answers_file = project / ".copier-answers.service-orders.yml"
    assert yaml.safe_load(answers_file.read_text())["_commit"] == f"v1.0.0.post1+g{dev[:12]}"
    _another_machine(tmp_path, monkeypatch)
    # A newer kit built from a later commit of the same history (the v1.1.0 change on top).
    git(installed, "-c", "user.name=t", "-c", "user.email=t@example.com", "cherry-pick", "v1.1.0")
    update_project(project, to="v1.1.0", defaults=True)
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()
    newer = git(installed, "rev-parse", "HEAD").strip()
    answers = yaml.safe_load(answers_file.read_text())
    assert answers["_commit"] == f"v1.0.0.post2+g{newer[:12]}"
    _assert_service_intact(project)


def test_a_component_version_missing_from_the_kit_history_is_named(
    kit: Path, installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    answers_file = project / ".copier-answers.service-orders.yml"
    unknown = "v1.0.0.post3+g" + "0" * 12
    answers_file.write_text(
        answers_file.read_text().replace("_commit: v1.0.0", f"_commit: {unknown}")
    )
    commit_all(project, "a version this kit never had")
    _another_machine(tmp_path, monkeypatch)
    git(installed, "checkout", "-q", "v1.1.0")
    head = git(project, "rev-parse", "HEAD")
    with pytest.raises(ScaffoldError, match=rf"component version {re.escape(unknown)} names a kit"):
        update_project(project, to="v1.1.0", defaults=True)
    assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head


@pytest.fixture()
def component_kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed kit's components in a plain folder (no history) the test may change."""
    root = tmp_path / "installed-kit"
    shutil.copytree(REPO_ROOT / "components", root / "components")
    shutil.copytree(REPO_ROOT / "template" / "includes", root / "template" / "includes")
    monkeypatch.setattr(components, "template_root", lambda: root)
    monkeypatch.setenv("AIARCH_COMPONENT_CACHE", str(tmp_path / "cache"))
    return root


def _project_with_service(kit: Path, dest: Path) -> Path:
    create_project(dest, {}, source=TemplateSource(kit, vcs_ref="v1.0.0"))
    git(dest, "init", "-q")
    commit_all(dest, "generated")
    components.add_service(dest, "orders", "batch-job")
    commit_all(dest, "add orders")
    job = dest / "services/orders/src/orders/job.py"
    job.write_text(
        job.read_text().replace('return {"id": record["id"], "processed": True}', USER_LINE)
    )
    commit_all(dest, "our edit")
    return dest


def _newer_component(component_kit: Path) -> None:
    readme = (
        component_kit / "components/service/template/services/{{ service_name }}/README.md.jinja"
    )
    readme.write_text(readme.read_text() + f"\n{COMPONENT_LINE}\n")


def _assert_service_intact(project: Path) -> None:
    assert USER_LINE in (project / "services/orders/src/orders/job.py").read_text()
    assert "monitoring orders" in (project / "Makefile").read_text()
    assert '"customer-churn-platform-orders",' in (project / "pyproject.toml").read_text()
    assert (
        "COPY services/orders/pyproject.toml"
        in (project / "services/ingestion/Dockerfile").read_text()
    )


def test_snapshot_update_moves_project_and_service_keeping_edits(
    kit: Path, component_kit: Path, tmp_path: Path
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    _newer_component(component_kit)
    result = update_project(project, to="v1.1.0", defaults=True)
    assert result.conflicts == []
    assert README_LINE in (project / "README.md").read_text()  # the project moved
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()  # the service too
    assert "services/orders/README.md" in result.modified
    _assert_service_intact(project)
    answers = yaml.safe_load((project / ".copier-answers.service-orders.yml").read_text())
    assert answers["_commit"] == components.publish_component().tag
    # Once committed, updating again to the same versions changes nothing.
    commit_all(project, "updated")
    again = update_project(project, to="v1.1.0", defaults=True)
    assert not again.changed and again.conflicts == []


@pytest.mark.slow
def test_update_to_the_same_version_keeps_the_service(
    kit: Path, component_kit: Path, tmp_path: Path
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    result = update_project(project, to="v1.0.0", defaults=True)
    assert not result.changed and result.conflicts == []
    _assert_service_intact(project)


@pytest.mark.slow
def test_plain_copier_updates_the_component_by_its_answers_file(
    kit: Path, installed: Path, tmp_path: Path
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    git(installed, "checkout", "-q", "v1.1.0")
    published = components.publish_component()  # what `aiarch update` does first
    subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "update",
            "--trust",
            "--defaults",
            "--answers-file",
            ".copier-answers.service-orders.yml",
            "--vcs-ref",
            published.tag,
        ],
        cwd=project,
        check=True,
        capture_output=True,
        env={**os.environ, **published.env},
    )
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()
    _assert_service_intact(project)


@pytest.mark.slow
def test_plain_copier_updates_with_the_printed_git_config(
    kit: Path, installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aiarch update --print-git-config` prints all plain copier needs, on a machine that has
    never cached the component: with only those lines, copier moves the service to the newer
    kit's version and keeps the team's edit."""
    project = _project_with_service(kit, tmp_path / "p")
    _another_machine(tmp_path, monkeypatch)
    git(installed, "checkout", "-q", "v1.1.0")
    printed = CliRunner().invoke(app, ["update", str(project), "--print-git-config"])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    exported = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in lines
        if line.startswith("export ")
    )
    assert exported["GIT_CONFIG_VALUE_0"] == component_source.component_url("service")
    command = next(line.removeprefix("# ") for line in lines if "--answers-file" in line)
    assert command == "copier update --defaults --answers-file .copier-answers.service-orders.yml"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("GIT_CONFIG")}
    without = subprocess.run(  # the recorded URL itself leads nowhere
        [sys.executable, "-m", *shlex.split(command)],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert without.returncode != 0 and "components/service.git" in without.stderr
    assert git(project, "status", "--porcelain") == ""
    subprocess.run(
        [sys.executable, "-m", *shlex.split(command)],
        cwd=project,
        check=True,
        capture_output=True,
        env={**clean, **exported},
    )
    assert COMPONENT_LINE in (project / "services/orders/README.md").read_text()
    _assert_service_intact(project)


def test_a_lost_component_version_is_named_not_guessed(
    kit: Path, component_kit: Path, tmp_path: Path
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    shutil.rmtree(tmp_path / "cache")  # another machine, or a cleared cache
    _newer_component(component_kit)
    head = git(project, "rev-parse", "HEAD")
    with pytest.raises(ScaffoldError, match=r"rendered from component version v.*which is not in"):
        update_project(project, to="v1.1.0", defaults=True)
    assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head
