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


PLACEHOLDERS = ("$text", "$json", "$yaml")


def resolve_placeholders(node: Any, base: Path) -> Any:
    """`node` with Backstage's placeholders (`{$text: ./file}`, `$json`, `$yaml`) replaced by
    the file they name, relative to `base`, as the catalog does before it validates an entity.

    A placeholder naming a missing file, or one outside `base`, raises ValueError.
    """
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)) in PLACEHOLDERS:
            ((kind, target),) = node.items()
            path = (base / target).resolve()
            if not path.is_relative_to(base.resolve()) or not path.is_file():
                raise ValueError(f"{kind} placeholder names no file in the project: {target}")
            text = path.read_text(encoding="utf-8")
            if kind == "$json":
                return json.loads(text)
            if kind == "$yaml":
                import yaml

                return yaml.safe_load(text)
            return text
        return {key: resolve_placeholders(value, base) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_placeholders(value, base) for value in node]
    return node
