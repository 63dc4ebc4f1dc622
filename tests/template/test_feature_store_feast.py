"""feature_store=feast (issue 12): the feature repo, materialisation and lookups by customer id,
Feast only in the feast variants, and the cloud's online store in the infrastructure."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.generate import create_project
from tests.template.rendered import assert_clean_output, assert_only_chosen_files, reproduce
from tests.tools import require, run

FEAST = {"feature_store": "feast"}


def _render(tmp_path: Path, **answers: object) -> Path:
    return create_project(tmp_path / "p", {**FEAST, **answers}).destination


def _dependencies(project: Path, service: str) -> list[str]:
    path = project / "services" / service / "pyproject.toml"
    return tomllib.loads(path.read_text())["project"]["dependencies"]


def test_feast_renders_clean(tmp_path: Path) -> None:
    project = _render(tmp_path)
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, FEAST)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(FEAST)}") from exc
    makefile = (project / "Makefile").read_text()
    assert "pipeline: ingest features materialize train drift" in makefile
    assert "\nfeast-apply:" in makefile and "\nmaterialize:" in makefile
    assert (project / "docs/adr/0022-feature-store.md").is_file()
    assert (project / "packages/contracts/src/contracts/feature_store.py").is_file()
    assert "customer_ids" in (project / "services/serving/openapi.json").read_text()


@pytest.mark.parametrize("api_style", ["graphql", "grpc"])
def test_feast_refuses_the_api_styles_without_lookups_by_id(tmp_path: Path, api_style: str) -> None:
    with pytest.raises(ScaffoldError, match="feature_store=feast needs api_style=rest"):
        _render(tmp_path, api_style=api_style)


def test_feast_is_installed_with_features_and_serving_only(tmp_path: Path) -> None:
    project = _render(tmp_path)
    for service in ("features", "serving"):
        assert any(dep.startswith("feast") for dep in _dependencies(project, service)), service
    for service in ("ingestion", "training", "monitoring"):
        assert not any(dep.startswith("feast") for dep in _dependencies(project, service))
    contracts = tomllib.loads((project / "packages/contracts/pyproject.toml").read_text())
    assert not any(dep.startswith("feast") for dep in contracts["project"]["dependencies"])


def test_without_feast_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {}).destination
    assert_only_chosen_files(project, {})
    found = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and path.name != ".copier-answers.yml"  # records feature_store: none
        and any(word in path.read_text(errors="ignore") for word in ("feast", "Feast"))
    ]
    assert found == []
    assert "materialize" not in (project / "Makefile").read_text()


@pytest.mark.parametrize(
    ("answers", "client", "online_store"),
    [
        ({"cloud": "aws"}, "feast[aws]", "infra/terraform/modules/feature_store/main.tf"),
        (
            {"cloud": "aws", "iac": "cloudformation"},
            "feast[aws]",
            "infra/cloudformation/feature-store.yaml",
        ),
        ({"cloud": "gcp"}, "feast[gcp]", "infra/terraform/envs/prod/main.tf"),
        ({"cloud": "azure"}, "feast[redis]", "infra/terraform/envs/prod/main.tf"),
    ],
    ids=["aws-terraform", "aws-cloudformation", "gcp", "azure"],
)
def test_each_cloud_gets_its_online_store_and_its_client(
    tmp_path: Path, answers: dict[str, str], client: str, online_store: str
) -> None:
    project = _render(tmp_path, **answers)
    assert any(dep.startswith(client) for dep in _dependencies(project, "serving"))
    resource = {
        "aws": "dynamodb",
        "gcp": 'resource "google_firestore_database" "feature_store"',
        "azure": 'resource "azurerm_redis_cache" "feature_store"',
    }[answers["cloud"]]
    assert resource.lower() in (project / online_store).read_text().lower()
    store = project / "packages/contracts/src/contracts/feature_repo/prod.yaml"
    assert "${" in store.read_text(), "the store's settings come from the environment"


def test_feast_project_materialises_and_serves_by_customer_id(tmp_path: Path) -> None:
    """The generated project's own feature-store tests: feast apply, materialisation, online
    lookup, prediction by id equal to prediction by features, erasure from the online store."""
    require("uv")
    project = _render(tmp_path)
    run(["uv", "sync"], cwd=project)
    result = run(
        [
            "uv",
            "run",
            "--no-sync",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-s",
            "tests/e2e/test_feature_store.py",
        ],
        cwd=project,
    )
    assert "3 passed" in result.stdout
    assert "feast lookup-and-score p50" in result.stdout
