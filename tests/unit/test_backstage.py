"""`aiarch export backstage`: a valid v1beta3 Template whose form is copier.yml's questions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold import backstage
from aiarch_scaffold.cli import app
from aiarch_scaffold.questions import (
    Question,
    computed_values,
    load_config,
    load_questions,
    parse_questions,
)
from tests.backstage_schemas import validate

QUESTIONS = load_questions()
ASKED = [q for q in QUESTIONS if not q.is_computed]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("bs") / "template"
    backstage.export(dest)
    return dest


@pytest.fixture(scope="module")
def document(exported: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((exported / "template.yaml").read_text())
    return data


def test_template_validates_against_the_published_schema(document: dict[str, Any]) -> None:
    validate(document)
    assert document["apiVersion"] == "scaffolder.backstage.io/v1beta3"
    assert document["kind"] == "Template"


def test_the_schema_check_can_fail(document: dict[str, Any]) -> None:
    broken = {**document, "spec": {k: v for k, v in document["spec"].items() if k != "steps"}}
    with pytest.raises(jsonschema.ValidationError, match="steps"):
        validate(broken)


def test_parameters_cover_every_asked_question(document: dict[str, Any]) -> None:
    form = document["spec"]["parameters"][0]
    assert backstage.parameter_names(form) == {q.name for q in ASKED}
    assert set(document["spec"]["steps"][0]["input"]["values"]) == {q.name for q in ASKED}


def test_computed_questions_are_not_parameters() -> None:
    computed = Question(name="derived_thing", default="{{ cloud }}", when=False)
    form = backstage.parameters([*ASKED, computed])
    assert "derived_thing" not in backstage.parameter_names(form)
    assert "derived_thing" not in backstage.skeleton_answers([*ASKED, computed])


@pytest.mark.parametrize("question", [q for q in ASKED if q.is_choice], ids=lambda q: q.name)
def test_choices_become_enums_with_titles(question: Question) -> None:
    field = backstage.parameter(question)
    assert field["enum"] == question.values
    assert field["enumNames"] == list(question.choices)
    assert field["description"] == question.help


@pytest.mark.parametrize("question", [q for q in ASKED if q.validator], ids=lambda q: q.name)
def test_patterns_agree_with_the_copier_validator(question: Question) -> None:
    pattern = backstage.regex_of(question)
    if pattern is None:
        return  # a cross-field validator: it shapes the `dependencies` branches instead
    field = backstage.parameter(question)
    assert field["pattern"] == pattern
    if not question.is_templated:
        assert re.search(pattern, str(question.default))
    assert not re.search(pattern, "!" * 3)


def test_when_conditions_become_dependencies(document: dict[str, Any]) -> None:
    form = document["spec"]["parameters"][0]
    conditional = [q for q in ASKED if q.when is not True]
    assert conditional, "copier.yml has `when` questions to test this with"
    branches = {
        b["properties"]["cloud"]["enum"][0]: b for b in form["dependencies"]["cloud"]["oneOf"]
    }
    for question in conditional:
        assert question.name not in form["properties"]
        assert question.name not in branches["local"]["properties"]
        assert question.name in backstage.parameter_names(branches["aws"]), question.name
    # gateway_auth follows api_gateway, itself asked with a cloud: nested in that branch
    gateway = {
        b["properties"]["api_gateway"]["enum"][0]: b
        for b in branches["aws"]["dependencies"]["api_gateway"]["oneOf"]
    }
    assert "gateway_auth" in gateway["cloud"]["properties"]
    assert "gateway_auth" not in gateway["none"]["properties"]
    # the iac validator (cloudformation only on AWS) prunes the choice in the other branches
    assert "cloudformation" in branches["aws"]["properties"]["iac"]["enum"]
    assert branches["gcp"]["properties"]["iac"]["enum"] == ["terraform"]


def _render_skeleton(text: str, values: dict[str, Any]) -> dict[str, Any]:
    # Backstage renders with nunjucks and `${{ }}` variables; this subset means the same in Jinja.
    env = jinja2.Environment(variable_start_string="${{", autoescape=False)  # noqa: S701
    env.filters["dump"] = json.dumps
    data: dict[str, Any] = yaml.safe_load(env.from_string(text).render(values=values))
    return data


def test_skeleton_writes_the_answers_and_omits_empty_ones(exported: Path) -> None:
    text = (exported / backstage.SKELETON_ANSWERS).read_text()
    values = {"project_name": "Fraud: Radar", "project_slug": "", "cloud": "aws"}
    values["iac"] = "terraform"
    assert _render_skeleton(text, values) == {
        "project_name": "Fraud: Radar",
        "cloud": "aws",
        "iac": "terraform",
    }


def test_steps_fetch_render_publish_register(document: dict[str, Any], exported: Path) -> None:
    actions = [step["action"] for step in document["spec"]["steps"]]
    assert actions == [
        "fetch:template", "aiarch:new", "publish:github", "publish:gitlab", "catalog:register",
    ]  # fmt: skip
    assert "id: 'aiarch:new'" in (exported / backstage.ACTION_FILE).read_text()


def test_cli_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["export", "backstage", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not an empty folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    forced = CliRunner().invoke(app, ["export", "backstage", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "template.yaml").is_file() and not (tmp_path / "keep.txt").exists()


def test_shared_entity_schemas_are_resolved(document: dict[str, Any]) -> None:
    # metadata.name is required by EntityMeta, reached through $ref "Entity" -> "EntityMeta".
    bad = {**document, "metadata": {k: v for k, v in document["metadata"].items() if k != "name"}}
    with pytest.raises(jsonschema.ValidationError, match="'name' is a required property"):
        validate(bad)


def test_a_failed_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_write = Path.write_text

    def fail_second(self: Path, *args: Any, **kwargs: Any) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C half way through
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_second)
    with pytest.raises(KeyboardInterrupt):
        backstage.export(tmp_path / "portal")
    assert list(tmp_path.iterdir()) == []


def test_a_condition_json_schema_cannot_express_keeps_the_field_optional() -> None:
    odd = Question(name="odd", when="{{ cloud != 'local' and ci == 'github' }}")
    form = backstage.parameters([*ASKED, odd])
    assert form["properties"]["odd"]["description"].startswith("(asked when {{ cloud")
    assert "odd" not in form["required"]


def test_a_when_through_a_computed_value_still_becomes_a_dependency() -> None:
    # copier.yml may name a condition once as a computed value: `when: "{{ has_cloud }}"`.
    config = load_config()
    config = {
        **{k: v for k, v in config.items() if k not in ("iac", "deploy_target")},
        "has_cloud": {"type": "bool", "when": False, "default": "{{ cloud != 'local' }}"},
        "iac": {**config["iac"], "when": "{{ has_cloud }}"},
        "deploy_target": {**config["deploy_target"], "when": "{{ has_cloud }}"},
    }
    form = backstage.parameters(parse_questions(config), computed_values(config))
    branches = {
        b["properties"]["cloud"]["enum"][0]: b for b in form["dependencies"]["cloud"]["oneOf"]
    }
    asked_in_a_cloud = {
        name
        for name, spec in config.items()
        if isinstance(spec, dict) and spec.get("when") == "{{ has_cloud }}"
    }
    assert {"iac", "deploy_target"} <= asked_in_a_cloud
    assert set(branches["aws"]["properties"]) == {"cloud", *asked_in_a_cloud}
    assert set(branches["local"]["properties"]) == {"cloud"}
    assert "has_cloud" not in backstage.parameter_names(form)
