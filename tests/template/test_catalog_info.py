"""Every generated project's catalog-info.yaml validates against the Backstage schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.backstage_schemas import validate

VARIANTS = {
    "default": {},
    "aws-gitlab": {"cloud": "aws", "ci": "gitlab", "organisation": "data-team"},
    "graphql": {"api_style": "graphql"},
    "grpc": {"api_style": "grpc"},
}
API_TYPES = {"rest": "openapi", "graphql": "graphql", "grpc": "grpc"}


def resolve_placeholders(value: Any, base: Path) -> Any:
    """Replace `{$text: path}` by the file's text, as Backstage does before validating."""
    if isinstance(value, dict):
        if set(value) == {"$text"}:
            return (base / value["$text"]).read_text(encoding="utf-8")
        return {key: resolve_placeholders(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_placeholders(item, base) for item in value]
    return value


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_catalog_info_is_valid_and_complete(tmp_path: Path, answers: dict[str, str]) -> None:
    project = create_project(tmp_path / "p", answers).destination
    entities = [
        resolve_placeholders(entity, project)
        for entity in yaml.safe_load_all((project / "catalog-info.yaml").read_text())
    ]
    for entity in entities:
        validate(entity)
    owner = answers.get("organisation", "acme")
    assert {e["spec"]["owner"] for e in entities} == {owner}
    components = {e["metadata"]["name"] for e in entities if e["kind"] == "Component"}
    services = {p.name for p in (project / "services").iterdir() if p.is_dir()}
    assert components == {f"customer-churn-platform-{s}" for s in services | {"contracts"}}
    (system,) = (e for e in entities if e["kind"] == "System")
    assert all(e["spec"].get("system") == system["metadata"]["name"] for e in entities[1:])
    (api,) = (e for e in entities if e["kind"] == "API")
    serving = next(e for e in entities if e["metadata"]["name"].endswith("-serving"))
    assert serving["spec"]["providesApis"] == [api["metadata"]["name"]]
    assert api["spec"]["type"] == API_TYPES[str(answers.get("api_style", "rest"))]
    if answers.get("api_style") == "graphql":
        assert "type Query" in api["spec"]["definition"]  # the committed schema, resolved
    if answers.get("api_style") == "grpc":
        assert "service PredictionService" in api["spec"]["definition"]  # the committed proto
