"""An added service survives `aiarch update`, and follows a newer component template.

The kit is a git repository tagged v1.0.0 and v1.1.0 (as test_update.py builds it); the
service component comes from a copy of the kit's components that the test changes, as a newer
kit release would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold import components
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


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("kit") / "kit"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", repo / "template")
    shutil.copytree(REPO_ROOT / "migrations", repo / "migrations")
    git(repo, "init", "-q")
    commit_all(repo, "v1")
    git(repo, "tag", "v1.0.0")
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + f"\n{README_LINE}\n")
    commit_all(repo, "v1.1")
    git(repo, "tag", "v1.1.0")
    return repo


@pytest.fixture()
def component_kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed kit's components, in a folder the test may change."""
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


def test_update_moves_project_and_service_keeping_edits(
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
    _, tag = components.publish_component()
    assert answers["_commit"] == tag
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
    kit: Path, component_kit: Path, tmp_path: Path
) -> None:
    project = _project_with_service(kit, tmp_path / "p")
    _newer_component(component_kit)
    _, tag = components.publish_component()  # what `aiarch update` does first
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
            tag,
        ],
        cwd=project,
        check=True,
        capture_output=True,
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
