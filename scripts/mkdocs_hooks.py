"""MkDocs hook: generates the options reference page from copier.yml on every build.

Nothing on that page is hand-written: each question's help, type, choices (label and value),
default (templated ones rendered by copier, with what they derive from), the condition under
which it is asked and whether a validator checks it come from `aiarch_scaffold.questions`.
Computed questions (`when: false`) are listed separately: they are never asked.
"""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files

from aiarch_scaffold.questions import Question, ShownDefault, load_questions, shown_defaults

PAGE = "options.md"


def _code(value: Any) -> str:
    return f"`{value}`" if value not in (None, "") else "(none)"


def _question(question: Question, shown: ShownDefault) -> list[str]:
    lines = [f"## `{question.name}`", "", question.help or "(no help text)", ""]
    lines.append(f"- type: `{question.type}`")
    default = _code(shown.value)
    if shown.derived_from:
        default += " (derived from " + ", ".join(f"`{n}`" for n in shown.derived_from) + ")"
    lines.append(f"- default: {default}")
    if question.when is not True:
        lines.append(f"- asked when: `{str(question.when).strip()}`")
    if question.validator:
        lines.append("- checked by a validator in copier.yml (plain `copier copy` too)")
    if question.is_choice:
        lines += ["", "| choice | value |", "|---|---|"]
        lines += [f"| {label} | `{value}` |" for label, value in question.choices.items()]
    return [*lines, ""]


def options_markdown() -> str:
    questions = load_questions()
    asked = [q for q in questions if not q.is_computed]
    computed = [q for q in questions if q.is_computed]
    defaults = shown_defaults(asked)
    lines = [
        "# Options reference",
        "",
        "Generated from `copier.yml` at every docs build (`scripts/mkdocs_hooks.py`); `aiarch "
        "options` prints the same list. Answer with `aiarch new -d NAME=VALUE`, an answers "
        "file, or a preset.",
        "",
    ]
    for question in asked:
        lines += _question(question, defaults[question.name])
    if computed:
        lines += ["## Computed values", "", "Derived by copier.yml, never asked:", ""]
        lines += [f"- `{q.name}`: {q.help or _code(q.default)}" for q in computed]
    return "\n".join(lines).rstrip() + "\n"


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, PAGE, content=options_markdown()))
    return files
