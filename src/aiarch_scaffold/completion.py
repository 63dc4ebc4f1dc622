"""Shell completion for ``--data KEY=VALUE``: question names from copier.yml, then choices.

Computed questions (``when: false``) and copier settings (``_`` keys) are never offered.

bash splits words at ``=`` (it is in ``COMP_WORDBREAKS``), so ``--data cloud=a`` reaches the
completer as ``cloud``, ``=``, ``a`` and bash replaces only the text after the ``=``.
``rejoin_bash_words`` glues such words back together before click parses them, and
``for_shell`` then drops, from the output, the ``KEY=`` part bash keeps anyway.
zsh and fish pass whole words.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

from aiarch_scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from aiarch_scaffold.questions import Question

DATA_OPTIONS = ("--data", "-d", "--include", "-i")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
Candidate = tuple[str, str]


def askable(questions: list[Question]) -> list[Question]:
    return [q for q in questions if not q.is_computed and not q.name.startswith("_")]


def _values(question: Question) -> list[Candidate]:
    if question.is_choice:
        return [(str(value), label) for label, value in question.choices.items()]
    if question.type == "bool":
        return [("true", ""), ("false", "")]
    return []


def data_candidates(incomplete: str, questions: list[Question]) -> list[Candidate]:
    """``KEY=`` for names starting with ``incomplete``; after ``KEY=``, that key's values."""
    offered = askable(questions)
    key, sep, value = incomplete.partition("=")
    if not sep:
        return [(f"{q.name}=", q.help) for q in offered if q.name.startswith(key)]
    question = next((q for q in offered if q.name == key), None)
    if question is None:
        return []
    return [(f"{key}={v}", label) for v, label in _values(question) if v.startswith(value)]


class _State:
    # Set when bash split the word being completed at `=`: bash keeps this part itself.
    bash_kept_prefix: str | None = None


def complete_data(incomplete: str) -> list[Candidate]:
    """typer's autocompletion callback for ``--data``: never raises (a shell is waiting)."""
    from aiarch_scaffold.questions import load_questions  # only when completing: fast start

    try:
        questions = load_questions()
    except ScaffoldError:
        return []
    return data_candidates(incomplete, questions)


def prepare(env: MutableMapping[str, str], instruction: str | None) -> None:
    """Called once per completion request, before click parses the words."""
    _State.bash_kept_prefix = None
    if instruction == "complete_bash":
        rejoin_bash_words(env)


def for_shell(output: str) -> str:
    """Completions as the shell inserts them: without the ``KEY=`` bash keeps (see above)."""
    prefix = _State.bash_kept_prefix
    if not prefix:
        return output
    return "\n".join(line.removeprefix(prefix) for line in output.split("\n"))


def rejoin_bash_words(env: MutableMapping[str, str]) -> None:
    """Glue ``KEY``, ``=``, ``VALUE`` words that bash split after ``--data`` back together.

    Updates ``COMP_WORDS`` and ``COMP_CWORD`` in ``env`` (typer's bash protocol).
    """
    raw = env.get("COMP_WORDS", "")
    words = raw.split("\n") if "\n" in raw else raw.split(" ")
    try:
        cword = int(env.get("COMP_CWORD", ""))
    except ValueError:
        return
    joined: list[str] = []
    new_cword = cword
    index = 0
    while index < len(words):
        word = words[index]
        after_option = len(joined) >= 2 and joined[-2] in DATA_OPTIONS
        if word == "=" and joined and _KEY.match(joined[-1]) and after_option and index <= cword:
            joined[-1] += "="
            if index == cword:
                new_cword -= 1
                _State.bash_kept_prefix = joined[-1]
            elif index + 1 <= cword and index + 1 < len(words):
                if index + 1 == cword:
                    _State.bash_kept_prefix = joined[-1]
                joined[-1] += words[index + 1]
                new_cword -= 2
                index += 1
            else:
                new_cword -= 1
            index += 1
            continue
        joined.append(word)
        index += 1
    env["COMP_WORDS"] = "\n".join(joined)
    env["COMP_CWORD"] = str(new_cword)


__all__ = [
    "askable",
    "complete_data",
    "data_candidates",
    "for_shell",
    "prepare",
    "rejoin_bash_words",
]
