"""`aiarch add`: a service from the kit's component, or a copier/cookiecutter component.

Renders one default project per module and copies it per test; nothing here installs the
project (tests/template/test_add_service_builds.py runs `make check` and `make test`).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold import component_source, components, service_wiring
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from aiarch_scaffold.update import rerender
from tests.backstage_schemas import resolve_placeholders
from tests.backstage_schemas import validate as validate_entity
from tests.conftest import REPO_ROOT
from tests.tools import commit_all, git

pytestmark = [pytest.mark.xdist_group("add-component")]

FIXTURES = REPO_ROOT / "tests" / "data" / "components"
KINDS = components.service_kinds()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("component-cache")


@pytest.fixture(autouse=True)
def _component_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIARCH_COMPONENT_CACHE", str(cache))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, committed_template: Path) -> Path:
    project = tmp_path_factory.mktemp("base") / "project"
    create_project(project, {}, source=TemplateSource(committed_template, vcs_ref="HEAD"))
    git(project, "init", "-q")
    commit_all(project, "generated")
    return project


@pytest.fixture()
def project(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "work" / "project"
    shutil.copytree(generated, copy, symlinks=True)
    return copy


def snapshot(project: Path) -> dict[str, str]:
    """Every file (content hash) and the git status: what 'nothing changed' compares."""
    files = {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }
    files["<git status>"] = git(project, "status", "--porcelain", "--untracked-files=all")
    return files


def no_staging_left(project: Path) -> bool:
    return not list(project.parent.glob(f"{components.STAGING_PREFIX}*"))


# ---------------------------------------------------------------- add service


@pytest.mark.parametrize("kind", KINDS)
def test_service_is_rendered_and_wired_in(project: Path, kind: str) -> None:
    added = components.add_service(project, "orders", kind)
    service = project / "services" / "orders"
    for part in (
        "pyproject.toml",
        "Dockerfile",
        "README.md",
        "src/orders/__main__.py",
        "src/orders/metrics.py",
        "tests/test_orders_service.py",
    ):
        assert (service / part).is_file(), part
    assert "prometheus-client" in (service / "pyproject.toml").read_text()
    answers = yaml.safe_load((project / ".copier-answers.service-orders.yml").read_text())
    assert answers["kind"] == kind and answers["service_name"] == "orders"
    assert answers["project_slug"] == "customer_churn_platform"  # from the project's answers
    assert answers["_commit"].startswith("v")  # a version tag: copier update can move it
    root = (project / "pyproject.toml").read_text()
    assert '"customer-churn-platform-orders",' in root
    assert "customer-churn-platform-orders = { workspace = true }" in root
    assert '"monitoring", "orders"]' in root  # ruff's known-first-party
    makefile = (project / "Makefile").read_text()
    assert "SERVICES := ingestion features training serving monitoring orders" in makefile
    assert "\nrun-orders: ##" in makefile
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert "service: [ingestion, features, training, serving, monitoring, orders]" in ci
    for dockerfile in (project / "services").glob("*/Dockerfile"):  # every image reads it
        assert "COPY services/orders/pyproject.toml services/orders/" in dockerfile.read_text()
    architecture = (project / "docs/architecture.md").read_text()
    assert f'SVC_ORDERS["orders<br/>(orders, {kind})"]' in architecture
    assert "| `orders` | `orders` |" in architecture
    catalog = list(yaml.safe_load_all((project / "catalog-info.yaml").read_text()))
    added_entity = [e for e in catalog if e["metadata"]["name"] == "customer-churn-platform-orders"]
    assert [e["spec"]["system"] for e in added_entity] == ["customer-churn-platform"]
    for entity in catalog:
        validate_entity(resolve_placeholders(entity, project))  # Backstage's schemas
    (adr,) = (project / "docs/adr").glob("*-add-service-orders.md")
    assert (
        int(adr.name[:4])
        == 1
        + max(  # the next number after the template's own ADRs
            int(path.name[:4]) for path in (project / "docs/adr").glob("[0-9]*.md") if path != adr
        )
    )
    assert not (project / "deploy" / "kubernetes").exists()  # a local project has no manifests
    assert "pyproject.toml" in added.edited and no_staging_left(project)
    assert added.unwired == []


def test_two_caches_derive_one_commit_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """copier keeps one mirror per URL, refreshed from whichever cache a run redirects it to:
    if two caches named different commits with one tag, a render started from one and
    described after the other's refresh records a bare SHA instead of the version."""
    history = component_source.KitHistory(REPO_ROOT, "HEAD")
    named = set()
    for machine in ("a", "b"):
        monkeypatch.setenv("AIARCH_COMPONENT_CACHE", str(tmp_path / machine))
        repo, tag = component_source.prepare(components.SERVICE_COMPONENT, history)
        named.add((tag, git(repo, "rev-parse", f"refs/tags/{tag}").strip()))
        time.sleep(1.1)  # commit timestamps have one-second resolution
    assert len(named) == 1, named


def test_a_hand_edited_shared_file_is_named_for_wiring_by_hand(project: Path) -> None:
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("SERVICES := ", "IMAGES_OF := "))
    commit_all(project, "our own Makefile")
    added = components.add_service(project, "orders", "api")
    assert "IMAGES_OF := ingestion" in makefile.read_text()  # left as the team wrote it
    assert added.unwired == ["Makefile"]


def test_edits_are_idempotent(project: Path) -> None:
    components.add_service(project, "orders", "api")
    answers = {"project_slug": "customer_churn_platform", "kind": "api"}
    for rel, edit in service_wiring.SERVICE_EDITS.items():
        path = project / rel
        if path.is_file():
            text = path.read_text()
            assert edit(text, "orders", answers) == text, rel
    names = components.existing_services(project)
    dockerfile = (project / "services/orders/Dockerfile").read_text()
    assert service_wiring.edit_dockerfile(dockerfile, names) == dockerfile


def test_two_services_see_each_other(project: Path) -> None:
    components.add_service(project, "orders", "api")
    commit_all(project, "orders")
    components.add_service(project, "billing", "batch-job")
    assert (
        "COPY services/billing/pyproject.toml"
        in (project / "services/orders/Dockerfile").read_text()
    )
    assert (
        "COPY services/orders/pyproject.toml"
        in (project / "services/billing/Dockerfile").read_text()
    )
    (orders,) = (project / "docs/adr").glob("*-add-service-orders.md")
    (billing,) = (project / "docs/adr").glob("*-add-service-billing.md")
    assert int(billing.name[:4]) == int(orders.name[:4]) + 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Orders", "invalid service name"),
        ("1orders", "invalid service name"),
        ("orders-api", "invalid service name"),
        ("o", "invalid service name"),
        ("class", "Python keyword"),
        ("json", "shadow the module"),
        ("contracts", "shadow the module"),
        ("mlflow", "shadow the module"),
        ("serve", "already has a command or workload named 'serve'"),
        ("drift_report", "already has a command or workload named 'drift-report'"),
        ("ingestion", "already exists"),
    ],
)
def test_bad_names_are_refused_and_nothing_changes(project: Path, name: str, message: str) -> None:
    before = snapshot(project)
    with pytest.raises(UsageError, match=message) as caught:
        components.add_service(project, name, "api")
    assert "\n" not in str(caught.value)
    assert snapshot(project) == before and no_staging_left(project)


def test_unknown_kind_is_refused(project: Path) -> None:
    before = snapshot(project)
    with pytest.raises(UsageError, match="unknown kind 'cron'; choose one of: batch-job, api"):
        components.add_service(project, "orders", "cron")
    assert snapshot(project) == before


def test_a_folder_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "README.md").write_text("not generated\n")
    git(plain, "init", "-q")
    with pytest.raises(UsageError, match="not a generated project"):
        components.add_service(plain, "orders", "api")
    assert sorted(p.name for p in plain.iterdir()) == [".git", "README.md"]
    with pytest.raises(UsageError, match="not a directory"):
        components.add_service(tmp_path / "missing", "orders", "api")


def test_a_dirty_tree_is_refused(project: Path) -> None:
    (project / "README.md").write_text("uncommitted\n")
    before = snapshot(project)
    with pytest.raises(UsageError, match="uncommitted changes"):
        components.add_service(project, "orders", "api")
    assert snapshot(project) == before


def test_a_project_outside_git_is_refused(project: Path) -> None:
    shutil.rmtree(project / ".git")
    with pytest.raises(UsageError, match="not in a git repository"):
        components.add_service(project, "orders", "api")
    assert not (project / "services" / "orders").exists()


@pytest.fixture()
def interrupt_late(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ctrl-C after the files moved in and the first shared files were rewritten."""

    def boom(text: str, name: str, answers: object) -> str:
        raise KeyboardInterrupt

    edits = dict(components.SERVICE_EDITS)
    edits["docs/architecture.md"] = boom
    monkeypatch.setattr(components, "SERVICE_EDITS", edits)
    yield


@pytest.mark.usefixtures("interrupt_late")
def test_ctrl_c_midway_leaves_the_project_as_it_was(project: Path) -> None:
    before = snapshot(project)
    with pytest.raises(ScaffoldError, match="interrupted; nothing was changed") as caught:
        components.add_service(project, "orders", "api")
    assert caught.value.exit_code == 130
    assert snapshot(project) == before and no_staging_left(project)


def test_the_service_is_recorded_in_the_answers(project: Path) -> None:
    components.add_service(project, "orders", "api")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["added_services"] == {"orders": "api"}
    commit_all(project, "add orders")
    components.add_service(project, "billing", "consumer")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["added_services"] == {"orders": "api", "billing": "consumer"}
    commit_all(project, "add billing")
    # Written as copier writes it: rendering the project again with its answers changes nothing.
    assert rerender(project, {}) == ({}, [])


def test_a_render_failure_leaves_the_project_as_it_was(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(
        source: object, staging: Path, data: object, vcs_ref: object = None, env: object = None
    ) -> None:
        (staging / "services").mkdir()
        (staging / "services" / "half.txt").write_text("half-written")
        raise RuntimeError("disk full")

    monkeypatch.setattr(components, "_render_copier", broken)
    before = snapshot(project)
    with pytest.raises(ScaffoldError, match="add failed, nothing was changed: disk full"):
        components.add_service(project, "orders", "api")
    assert snapshot(project) == before and no_staging_left(project)


# ---------------------------------------------------------------- --from


def test_from_a_copier_component(project: Path) -> None:
    added = components.add_from(project, str(FIXTURES / "copier-runbook"))
    runbook = project / "docs" / "runbooks" / "oncall.md"
    # The project's own answers reach the component's questions of the same name.
    assert runbook.read_text() == "# oncall runbook for customer_churn_platform\n"
    answers = yaml.safe_load((project / ".copier-answers.runbook-oncall.yml").read_text())
    assert answers["topic"] == "oncall"
    assert sorted(added.created) == [
        ".copier-answers.runbook-oncall.yml",
        "docs/runbooks/oncall.md",
    ]


def test_from_a_cookiecutter_component(project: Path) -> None:
    components.add_from(project, str(FIXTURES / "cookiecutter-note"), {"note": "adr-log"})
    note = project / "docs" / "notes" / "adr-log.md"
    assert note.read_text().strip() == "# adr-log of customer_churn_platform (acme)"
    assert not (project / "component").exists()  # the template's top folder is unwrapped


def test_from_a_component_that_would_overwrite_is_refused(project: Path) -> None:
    components.add_from(project, str(FIXTURES / "copier-runbook"))
    commit_all(project, "runbook")
    before = snapshot(project)
    with pytest.raises(UsageError, match="already exists; nothing was changed"):
        components.add_from(project, str(FIXTURES / "copier-runbook"))
    assert snapshot(project) == before and no_staging_left(project)


def test_from_something_that_is_no_template_is_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    before = snapshot(project)
    with pytest.raises(UsageError, match=r"neither a copier .* nor a cookiecutter"):
        components.add_from(project, str(tmp_path / "empty"))
    with pytest.raises(UsageError, match="not a folder or a git URL"):
        components.add_from(project, str(tmp_path / "missing"))
    assert snapshot(project) == before and no_staging_left(project)


# ---------------------------------------------------------------- CLI


def test_cli_add_service_and_its_one_line_errors(project: Path) -> None:
    from typer.testing import CliRunner

    from aiarch_scaffold.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["add", "service", "orders", "--kind", "consumer", "-C", str(project)])
    assert ok.exit_code == 0, ok.output
    assert "Updated: pyproject.toml, Makefile" in ok.stdout
    commit_all(project, "orders")
    clash = runner.invoke(app, ["add", "service", "orders", "--kind", "api", "-C", str(project)])
    assert clash.exit_code == 2
    assert (
        clash.stderr
        == "Error: service 'orders' already exists (services/orders); pick another name\n"
    )
    cookie = runner.invoke(
        app, ["add", "--from", str(FIXTURES / "cookiecutter-note"), "-C", str(project)]
    )
    assert cookie.exit_code == 0, cookie.output
    assert (project / "docs" / "notes" / "decisions.md").is_file()


def test_from_never_runs_third_party_code(project: Path) -> None:
    # cookiecutter hooks are not run: the component's post-gen hook would write HOOK_RAN.
    components.add_from(project, str(FIXTURES / "cookiecutter-note"))
    assert not list(project.rglob("HOOK_RAN"))
    commit_all(project, "note")
    # copier tasks need --trust, which `aiarch add --from` never gives: refused, nothing runs.
    before = snapshot(project)
    with pytest.raises(ScaffoldError, match="add failed, nothing was changed"):
        components.add_from(project, str(FIXTURES / "copier-with-tasks"))
    assert not list(project.parent.rglob("TASK_RAN"))
    assert snapshot(project) == before and no_staging_left(project)


@pytest.mark.parametrize("ci", ["gitlab", "jenkins"])
def test_other_ci_providers_build_the_new_image(
    tmp_path: Path, ci: str, committed_template: Path
) -> None:
    source = TemplateSource(committed_template, vcs_ref="HEAD")
    project = create_project(tmp_path / ci, {"ci": ci}, source=source).destination
    git(project, "init", "-q")
    commit_all(project, "generated")
    components.add_service(project, "orders", "consumer")
    if ci == "gitlab":
        pipeline = (project / ".gitlab-ci.yml").read_text()
        assert "- SERVICE: [ingestion, features, training, serving, monitoring, orders]" in pipeline
    else:  # Jenkins builds images with `make images`, which loops over the Makefile's SERVICES
        assert "make images" in (project / "Jenkinsfile").read_text()
        assert "monitoring orders\n" in (project / "Makefile").read_text()


def test_from_a_git_url_records_the_url(project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote" / "runbook"
    shutil.copytree(FIXTURES / "copier-runbook", remote)
    git(remote, "init", "-q")
    commit_all(remote, "component")
    git(remote, "tag", "v1.0.0")
    url = remote.as_uri()  # file:// : cloned like any git URL
    components.add_from(project, url, {"topic": "deploys"})
    answers = yaml.safe_load((project / ".copier-answers.runbook-deploys.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (url, "v1.0.0")
    assert (project / "docs" / "runbooks" / "deploys.md").is_file() and no_staging_left(project)


def test_a_name_too_long_for_a_google_cloud_service_account_is_refused(
    tmp_path: Path, committed_template: Path
) -> None:
    project = tmp_path / "gcp"
    create_project(
        project, {"cloud": "gcp"}, source=TemplateSource(committed_template, vcs_ref="HEAD")
    )
    git(project, "init", "-q")
    commit_all(project, "generated")
    before = snapshot(project)
    with pytest.raises(UsageError, match="at most 25 characters") as caught:
        components.add_service(project, "customer_segments_refresher", "batch-job")
    assert "\n" not in str(caught.value)
    assert snapshot(project) == before and no_staging_left(project)
    # The same name fits the other clouds' limits: the rule is Google Cloud's alone.
    components.check_cloud_limits({"cloud": "aws"}, "customer_segments_refresher")
