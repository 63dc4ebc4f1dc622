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
}


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_catalog_info_is_valid_and_complete(tmp_path: Path, answers: dict[str, str]) -> None:
    project = create_project(tmp_path / "p", answers).destination
    entities = list(yaml.safe_load_all((project / "catalog-info.yaml").read_text()))
    for entity in entities:
        validate(resolve_placeholders(entity, project))
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
    assert api["spec"]["type"] == "openapi"
    # The committed OpenAPI document (services/serving/openapi.json), not a pointer to a URL.
    assert api["spec"]["definition"] == {"$text": "./services/serving/openapi.json"}
    document = json.loads(resolve_placeholders(api["spec"]["definition"], project))
    assert document["openapi"].startswith("3.")
    assert "/v1/predict" in document["paths"]
