"""Human-facing output: rich tables for answers, options and next steps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from aiarch_scaffold.generate import Generated
    from aiarch_scaffold.questions import Question, ShownDefault
    from aiarch_scaffold.update import UpdateResult


def answers_table(answers: Mapping[str, Any], title: str = "Answers") -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("question", style="cyan", no_wrap=True)
    table.add_column("answer")
    for name, value in answers.items():
        table.add_row(name, str(value))
    return table


def print_generated(console: Console, result: Generated, steps: list[str]) -> None:
    console.print(
        f"[green]Created[/] {result.destination} ({result.files} files in {result.seconds:.2f} s)"
    )
    console.print(answers_table(result.answers))
    console.print("Next steps:")
    for step in steps:
        console.print(f"  {step}", highlight=False)


def plain_generated(result: Generated, steps: list[str]) -> str:
    """The same summary without rich, for pipes and CI logs."""
    lines = [f"Created {result.destination} ({result.files} files in {result.seconds:.2f} s)"]
    lines += [f"  {name}: {value}" for name, value in result.answers.items()]
    lines += ["Next steps:", *(f"  {step}" for step in steps)]
    return "\n".join(lines)


def default_text(shown: ShownDefault) -> str:
    """``customer_churn_platform (from project_name)`` for a derived default."""
    if shown.derived_from and shown.value is None:
        return f"derived from {', '.join(shown.derived_from)}"
    if shown.derived_from:
        return f"{shown.value} (from {', '.join(shown.derived_from)})"
    return str(shown.value)


def options_table(questions: list[Question], defaults: Mapping[str, ShownDefault]) -> Table:
    from rich.table import Table

    table = Table(title="Questions (from copier.yml)", title_justify="left")
    table.add_column("question", style="cyan", no_wrap=True)
    table.add_column("choices")
    table.add_column("default")
    table.add_column("help")
    for question in questions:
        choices = ", ".join(str(value) for value in question.values) if question.is_choice else ""
        table.add_row(
            question.name,
            choices or f"({question.type})",
            default_text(defaults[question.name]),
            question.help,
        )
    return table


def options_json(questions: list[Question], defaults: Mapping[str, ShownDefault]) -> str:
    return json.dumps(
        [
            {
                "name": q.name,
                "type": q.type,
                "help": q.help,
                "default": defaults[q.name].value,
                "derived_from": list(defaults[q.name].derived_from),
                "choices": q.values if q.is_choice else None,
                "when": q.when,
            }
            for q in questions
        ],
        indent=2,
    )


def print_update(console: Console, result: UpdateResult) -> None:
    verb = "Would update" if result.pretend else "Updated"
    console.print(f"[green]{verb}[/] {result.project}: {result.from_ref} -> {result.to_ref}")
    if not result.changed:
        console.print("Nothing changes.")
        return
    from rich.table import Table

    table = Table(title_justify="left")
    table.add_column("change", style="cyan")
    table.add_column("files")
    for label, paths in (
        ("added", result.added),
        ("changed", result.modified),
        ("deleted", result.deleted),
        ("conflicts", result.conflicts),
    ):
        if paths:
            table.add_row(f"{label} ({len(paths)})", "\n".join(paths))
    console.print(table)
    if result.conflicts:
        console.print(
            "Resolve the conflicts (markers '<<<<<<< before updating' or .rej files), then commit."
        )
    elif not result.pretend:
        console.print("Review with `git diff`, run `make test`, then commit.")


def matrix_table(rows: list[dict[str, Any]], strategy: str) -> Table:
    from rich.table import Table

    table = Table(title=f"{strategy}: {len(rows)} variants", title_justify="left")
    names = list(rows[0]) if rows else []
    for name in names:
        table.add_column(name, style="cyan" if name == names[0] else None)
    for row in rows:
        table.add_row(*(str(row.get(name, "")) for name in names))
    return table
