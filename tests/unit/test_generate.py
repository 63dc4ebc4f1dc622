from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.generate import create_project, leftover_staging
from aiarch_scaffold.template_source import TemplateSource


def _nothing_written(parent: Path, name: str) -> bool:
    return not (parent / name).exists() and not leftover_staging(parent)


def test_defaults_render_a_project_with_an_answers_file(tmp_path: Path) -> None:
    result = create_project(tmp_path / "proj")
    recorded = yaml.safe_load((tmp_path / "proj" / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "customer_churn_platform"
    assert result.answers["use_case"] == "churn"
    assert result.files > 10
    assert not leftover_staging(tmp_path)


@pytest.mark.parametrize(
    ("use_case", "slug", "says"),
    [
        ("clv", "customer_value_platform", "Predict customer lifetime value"),
        ("segmentation", "customer_segments_platform", "Segment customers"),
        ("pricing", "dynamic_pricing_platform", "Propose guard-railed prices"),
    ],
)
def test_the_default_name_and_description_follow_the_use_case(
    tmp_path: Path, use_case: str, slug: str, says: str
) -> None:
    create_project(tmp_path / "proj", {"use_case": use_case})
    recorded = yaml.safe_load((tmp_path / "proj" / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == slug
    assert recorded["description"].startswith(says)
    assert "churn" not in (tmp_path / "proj" / "README.md").read_text().splitlines()[0].lower()


def test_destination_defaults_to_the_slug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = create_project(None, {"project_name": "Lead Scoring"})
    assert result.destination == tmp_path / "lead-scoring"
    assert (tmp_path / "lead-scoring" / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    "data",
    [
        {"project_slug": "Bad-Slug"},
        {"project_slug": "../escape"},
        {"project_name": ""},
        {"project_name": "x; rm -rf /"},
        {"description": "{{ cycler.__init__ }}"},
        {"organisation": "Acme Corp"},
        {"use_case": "fraud"},
        {"colour": "blue"},
    ],
)
def test_bad_answers_write_nothing(tmp_path: Path, data: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        create_project(tmp_path / "proj", data)
    assert _nothing_written(tmp_path, "proj")


def test_computed_values_drive_paths_and_are_not_recorded(tmp_path: Path) -> None:
    create_project(tmp_path / "proj", {"cloud": "gcp", "deploy_target": "containers"})
    project = tmp_path / "proj"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {"has_cloud", "use_terraform", "on_kubernetes", "on_containers"}.isdisjoint(recorded)
    assert (project / "infra" / "terraform" / "modules" / "cloud_run").is_dir()
    assert not (project / "deploy" / "kubernetes").exists()


def test_a_computed_value_cannot_be_overridden(tmp_path: Path) -> None:
    # copier itself would take it and render Kubernetes files for a project without a cloud.
    with pytest.raises(UsageError, match="'on_kubernetes' is computed from other answers"):
        create_project(tmp_path / "proj", {"on_kubernetes": "true"})
    assert _nothing_written(tmp_path, "proj")


def test_a_derived_default_is_validated_too(tmp_path: Path) -> None:
    # A valid 60-character name derives a slug longer than the slug validator allows.
    with pytest.raises(UsageError, match="project_slug"):
        create_project(tmp_path / "proj", {"project_name": "A" + "b" * 59})
    assert _nothing_written(tmp_path, "proj")


def test_non_empty_destination_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        create_project(target)
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    create_project(target, force=True)
    assert (target / "keep.txt").read_text() == "mine"
    assert (target / "pyproject.toml").is_file()


def test_empty_existing_destination_is_fine(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    create_project(tmp_path / "proj")
    assert (tmp_path / "proj" / "Makefile").is_file()


@pytest.mark.parametrize("dest", ["a/../proj", "../proj"])
def test_parent_segments_in_destination_are_refused(tmp_path: Path, dest: str) -> None:
    with pytest.raises(UsageError, match=r"\.\."):
        create_project(Path(dest))


def test_a_render_failure_leaves_nothing(tmp_path: Path, template_copy: Path) -> None:
    (template_copy / "template" / "broken.txt.jinja").write_text("{{ undefined_filter | nope }}")
    with pytest.raises(ScaffoldError, match="template failed to render"):
        create_project(tmp_path / "proj", source=TemplateSource(template_copy))
    assert _nothing_written(tmp_path, "proj")


def test_an_interrupt_mid_render_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copier._main import Worker

    rendered: list[object] = []
    original = Worker._render_file

    def interrupt_after_three(self: Worker, *args: object, **kwargs: object) -> None:
        rendered.append(args)
        if len(rendered) == 3:
            raise KeyboardInterrupt
        original(self, *args, **kwargs)

    monkeypatch.setattr(Worker, "_render_file", interrupt_after_three)
    with pytest.raises(ScaffoldError, match="interrupted") as info:
        create_project(tmp_path / "proj")
    assert info.value.exit_code == 130
    assert _nothing_written(tmp_path, "proj")
