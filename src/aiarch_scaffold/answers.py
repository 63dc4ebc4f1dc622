"""Collects answers from `--data key=value` pairs and YAML answers files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.questions import Question


def parse_data_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Turn ``key=value`` strings into a mapping; values stay strings for copier to parse."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--data expects KEY=VALUE, got {pair!r}")
        data[key] = value
    return data


def load_answers_file(path: Path) -> dict[str, Any]:
    """Read a YAML mapping of answers (a team preset or a project's .copier-answers.yml).

    Keys starting with '_' are copier's own metadata and are ignored, so an existing
    project's answers file can be reused as a preset.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read answers file {path}: {exc.strerror or exc}") from exc
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"answers file {path} is not valid YAML{where}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise UsageError(f"answers file {path} must be a mapping of question: answer")
    return {str(key): value for key, value in loaded.items() if not str(key).startswith("_")}


def check_known(answers: Mapping[str, Any], questions: list[Question]) -> None:
    """Reject answers to questions that do not exist (typos would otherwise be ignored)."""
    known = {question.name for question in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise UsageError(
            f"unknown question {unknown[0]!r}; known questions: {', '.join(sorted(known))}"
        )


def check_not_computed(answers: Mapping[str, Any], computed: Iterable[str]) -> None:
    """Refuse answers to values copier.yml computes (`when: false`): copier would take them."""
    given = sorted(set(answers) & set(computed))
    if given:
        raise UsageError(
            f"{given[0]!r} is computed from other answers, not a question; "
            "answer the questions it is computed from instead (see `aiarch options`)"
        )


def check_choices(answers: Mapping[str, Any], questions: list[Question]) -> None:
    """Name the allowed values when a choice answer is not one of them."""
    for question in questions:
        if question.name in answers and question.is_choice:
            value = answers[question.name]
            allowed = [str(v) for v in question.values]
            if str(value) not in allowed:
                raise UsageError(
                    f"invalid value {value!r} for {question.name}; allowed: {', '.join(allowed)}"
                )


def check_plain_text(answers: Mapping[str, Any]) -> None:
    """Refuse control characters and template syntax in any answer, whatever copier.yml says.

    Answers end up inside YAML, TOML, Makefiles and shell commands; validators in copier.yml
    narrow each question further.
    """
    for key, value in answers.items():
        if not isinstance(value, str):
            continue
        if any(ord(char) < 32 for char in value):
            raise UsageError(f"answer to {key} must be a single line without control characters")
        for marker in ("{{", "{%", "{#", "${", "$(", "`"):
            if marker in value:
                raise UsageError(f"answer to {key} must not contain {marker!r}")


def merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win: answers file, then --data."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return merged
