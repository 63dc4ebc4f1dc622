"""Every generated project's catalog-info.yaml validates against the Backstage schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.backstage_schemas import resolve_placeholders, validate

VARIANTS = {
    "default": {},
    "aws-gitlab": {"cloud": "aws", "ci": "gitlab", "organisation": "data-team"},
    "graphql": {"api_style": "graphql"},
    "grpc": {"api_style": "grpc"},
}
API_TYPES = {"rest": "openapi", "graphql": "graphql", "grpc": "grpc"}


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
    if answers.get("api_style", "rest") == "rest":
        # The committed OpenAPI document (services/serving/openapi.json), resolved.
        document = json.loads(api["spec"]["definition"])
        assert document["openapi"].startswith("3.")
        assert "/v1/predict" in document["paths"]
