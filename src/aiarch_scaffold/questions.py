"""Reads the questions from copier.yml: the single source of truth for the option space."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import yaml

from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.template_source import (
    CONFIG_FILE,
    TemplateSource,
    default_source,
    template_root,
)


@dataclass(frozen=True)
class Question:
    """One question as declared in copier.yml (raw, unrendered Jinja where it has any)."""

    name: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: dict[str, Any] = field(default_factory=dict)
    when: Any = True
    validator: str = ""

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    @property
    def is_computed(self) -> bool:
        """A value copier.yml derives for the template (``when: false``): never asked."""
        return is_computed(self.when)

    @property
    def is_templated(self) -> bool:
        """The default is a Jinja expression over other answers."""
        return isinstance(self.default, str) and ("{{" in self.default or "{%" in self.default)

    @property
    def values(self) -> list[Any]:
        """The values a choice question accepts (not their labels)."""
        return list(self.choices.values())


def is_computed(when: Any) -> bool:
    """copier never asks a question whose `when` is the literal false; its default is its value."""
    return when is False or (isinstance(when, str) and when.strip().lower() == "false")


def _normalise_choices(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {
            str(label): (value.get("value") if isinstance(value, dict) else value)
            for label, value in raw.items()
        }
    if isinstance(raw, list):
        return {str(item): item for item in raw}
    raise ScaffoldError(f"{CONFIG_FILE}: choices must be a list or a mapping, got {raw!r}")


def load_config(root: Path | None = None) -> dict[str, Any]:
    path = (root or template_root()) / CONFIG_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScaffoldError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ScaffoldError(f"{path} must be a mapping of questions")
    return data


def load_questions(root: Path | None = None) -> list[Question]:
    """Every question in declaration order; keys starting with '_' are copier settings."""
    return parse_questions(load_config(root))


def computed_names(config: dict[str, Any]) -> list[str]:
    """Values copier.yml computes from the answers (`when: false`); not questions."""
    return [
        name
        for name, spec in config.items()
        if not name.startswith("_") and isinstance(spec, dict) and is_computed(spec.get("when"))
    ]


def recorded_names(config: dict[str, Any]) -> list[str]:
    """Answers copier records but never asks (`ask: false`): the kit's commands set them
    (``added_services`` by `aiarch add service`); not questions."""
    return [
        name
        for name, spec in config.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("ask") is False
    ]


def computed_values(config: dict[str, Any]) -> dict[str, Any]:
    """Each computed value's name and its definition (the Jinja default copier renders)."""
    return {name: config[name].get("default") for name in computed_names(config)}


def parse_questions(config: dict[str, Any]) -> list[Question]:
    """The questions a user answers, in declaration order; computed values and answers the
    kit's commands record (``recorded_names``) are left out."""
    questions = []
    computed = set(computed_names(config)) | set(recorded_names(config))
    for name, spec in config.items():
        if name.startswith("_") or name in computed:
            continue
        if not isinstance(spec, dict):
            spec = {"default": spec}
        questions.append(
            Question(
                name=name,
                type=str(spec.get("type", "str")),
                help=str(spec.get("help", "")).strip(),
                default=spec.get("default"),
                choices=_normalise_choices(spec.get("choices")),
                when=spec.get("when", True),
                validator=str(spec.get("validator", "")),
            )
        )
    return questions


def question_names(root: Path | None = None) -> list[str]:
    return [question.name for question in load_questions(root)]


@dataclass(frozen=True)
class ShownDefault:
    """A default as a user gets it: rendered, and which answers it is derived from."""

    value: Any
    derived_from: tuple[str, ...] = ()


def derived_from(question: Question, names: list[str]) -> tuple[str, ...]:
    """The other questions a templated default reads, in declaration order."""
    if not question.is_templated:
        return ()
    try:
        ast = jinja2.Environment(autoescape=True).parse(question.default)  # parsed, never rendered
    except jinja2.TemplateSyntaxError:
        return ()
    read = {node.name for node in ast.find_all(jinja2.nodes.Name) if node.ctx == "load"}
    return tuple(name for name in names if name in read and name != question.name)


def shown_defaults(
    questions: list[Question], source: TemplateSource | None = None
) -> dict[str, ShownDefault]:
    """Every question's default; templated ones rendered by copier from the other defaults."""
    shown = {q.name: ShownDefault(q.default) for q in questions}
    templated = [q for q in questions if q.is_templated]
    if not templated:
        return shown
    from aiarch_scaffold import copier_adapter

    source = source or default_source()
    names = [q.name for q in questions]
    notes = io.StringIO()
    with (
        contextlib.redirect_stderr(notes),
        copier_adapter.open_worker(source.root, vcs_ref=source.vcs_ref) as worker,
    ):
        rendered = copier_adapter.evaluate(worker, {}).values
    for question in templated:
        # A question the default answers do not ask (e.g. cloud_region without a cloud) has no
        # default to show but the answers it is derived from; never its raw template.
        value = rendered.get(question.name)
        shown[question.name] = ShownDefault(value, derived_from(question, names))
    return shown
