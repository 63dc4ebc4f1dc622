"""Validators for the vendored Backstage JSON schemas (tests/data/backstage/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent / "data" / "backstage"
KIND_SCHEMAS = {
    "Template": "TemplateV1beta3",
    "Component": "ComponentV1alpha1",
    "System": "SystemV1alpha1",
    "API": "ApiV1alpha1",
}


def _registry() -> Registry[Any]:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(entity: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `entity` is valid for its kind's schema."""
    schema_id = KIND_SCHEMAS[entity["kind"]]
    schema = REGISTRY.contents(schema_id)
    jsonschema.Draft7Validator(schema, registry=REGISTRY).validate(entity)
