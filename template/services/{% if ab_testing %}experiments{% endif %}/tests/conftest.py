"""An experiment definition and settings rooted in a temporary folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import Settings, get_settings
from contracts.experiments import ExperimentDefinition, parse_definition

DEFINITION = """
name: churn-model
version: 1
salt: test-salt-0001
control: champion
variants:
  - {name: champion, weight: 0.5, parameters: {model_alias: champion}}
  - {name: challenger, weight: 0.5, parameters: {model_alias: challenger}}
metrics:
  - {name: retained, kind: conversion}
  - {name: revenue, kind: continuous}
"""


@pytest.fixture()
def definition_text() -> str:
    return DEFINITION


@pytest.fixture()
def definition() -> ExperimentDefinition:
    return parse_definition(DEFINITION)


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings rooted in tmp_path, with the definition where the CLI looks for it."""
    definitions = tmp_path / "experiments"
    definitions.mkdir()
    (definitions / "churn-model.yaml").write_text(DEFINITION)
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_EXPERIMENTS_DEFINITIONS_DIR", str(definitions))
    monkeypatch.delenv("APP_EXPERIMENT_NAME", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
