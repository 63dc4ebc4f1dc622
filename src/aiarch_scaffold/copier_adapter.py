"""Every use of copier's private API, in one place (written against copier 9.19).

copier's public functions (``run_copy``, ``run_update``) render a whole project. The kit also
has to work with the questions *without* rendering: validate every resolved answer (defaults
derived from other answers included) before anything is written, check matrix rows against
each question's ``when`` and ``validator``, and show rendered defaults in ``aiarch options``.
copier has no public API for that, so this module uses the internals below, and
``tests/unit/test_copier_adapter.py`` pins each one, so a copier upgrade that changes them fails
there, by name, instead of somewhere in the CLI.

What we rely on, and why:

- ``copier._main.Worker``: a context manager taking ``src_path``, ``vcs_ref``, ``dst_path``,
  ``data``, ``defaults``, ``unsafe``, ``quiet``, ``overwrite``, ``cleanup_on_error``; its
  ``template.questions_data`` (copier.yml's questions, raw, in declaration order),
  ``answers`` (an ``AnswersMap``), ``jinja_env`` and ``settings``; ``data`` and ``defaults``
  may be reassigned before ``run_copy()`` (we render exactly the answers we validated).
- ``Worker._ask()``: resolves every answer (given data, then defaults, else a prompt) into
  ``worker.answers``; validates data answers and raises ``ValueError("Validation error for
  question '<name>': <message>")``.
- ``Worker._render_context()``: the Jinja context a question's ``when``, ``default`` and
  ``validator`` are rendered with.
- ``copier._user_data.Question(answers=, context=, jinja_env=, settings=, var_name=,
  **details)`` with ``get_when()``, ``get_default()`` (rendered), ``parse_answer()`` (type cast
  and choice check, ``ValueError`` otherwise) and ``validate_answer()`` (``ValueError`` as above).
- ``copier._user_data.AnswersMap(init=...)`` with ``user``, ``combined`` and ``hide(name)``.
- ``copier._types.MISSING``: what ``get_default()`` returns for a question without a default;
  hidden questions' defaults are visible to later ones (computed values read them).
- ``Worker._sync_git_index_executable_bit(dst_relpath, src_mode)``, called after each file is
  written, does nothing unless the destination's ``core.fileMode`` is ``false``;
  ``git_file_mode_read_once`` reads that setting once per destination instead of per file.
- copier renders every path part (and the answers-file name) through
  ``jinja_env.from_string``; ``memoize_string_templates`` caches those compilations.
  ``run_update`` makes a Worker (and a ``copier._jinja_ext.SandboxedEnvironment``) of its own
  for each of its three renders; ``string_templates_memoized`` caches for every environment of
  that class while it runs.
"""

from __future__ import annotations

import re
import subprocess
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
from copier._jinja_ext import SandboxedEnvironment
from copier._main import Worker
from copier._types import MISSING
from copier._user_data import AnswersMap
from copier._user_data import Question as CopierQuestion

_VALIDATION_ERROR = re.compile(r"^Validation error for question '(?P<name>[^']+)': (?P<msg>.*)$")


@contextmanager
def open_worker(
    src_path: Path,
    *,
    vcs_ref: str | None = None,
    dst_path: Path | None = None,
    data: Mapping[str, Any] | None = None,
    defaults: bool = True,
    overwrite: bool = False,
    cleanup_on_error: bool = True,
) -> Iterator[Any]:
    """A copier Worker for ``src_path``; trusted (the kit's own template), quiet."""
    with Worker(
        src_path=str(src_path),
        vcs_ref=vcs_ref,
        dst_path=dst_path if dst_path is not None else Path(),
        data=dict(data or {}),
        defaults=defaults,
        unsafe=True,
        quiet=True,
        overwrite=overwrite,
        cleanup_on_error=cleanup_on_error,
    ) as worker:
        yield worker


def questions_data(worker: Any) -> dict[str, Any]:
    """copier.yml's questions as copier read them (raw, declaration order)."""
    return dict(worker.template.questions_data)


def _question(worker: Any, answers: Any, name: str, details: Mapping[str, Any]) -> Any:
    return CopierQuestion(
        answers=answers,
        context=worker._render_context(),
        jinja_env=worker.jinja_env,
        settings=worker.settings,
        var_name=name,
        **details,
    )


def resolve_answers(worker: Any) -> dict[str, Any]:
    """Ask (or take defaults), then validate every asked answer, defaults included.

    copier validates only answers given as data; a default derived from another answer
    (e.g. a long slug from a long name) would otherwise slip through. Questions whose
    ``when`` is false (hidden or computed) are left out: copier computes them again on render.
    """
    worker._ask()
    resolved: dict[str, Any] = {}
    for name, details in questions_data(worker).items():
        question = _question(worker, worker.answers, name, details)
        if not question.get_when() or name not in worker.answers.combined:
            continue
        value = worker.answers.combined[name]
        question.validate_answer(value)
        resolved[name] = value
    return resolved


def computed_answers(worker: Any, names: Iterable[str]) -> dict[str, Any]:
    """The computed values (``when: false``) copier derived from the answers; after ``_ask``."""
    combined = worker.answers.combined
    return {name: combined[name] for name in names if name in combined}


def render_copy(worker: Any, answers: Mapping[str, Any]) -> None:
    """Render exactly ``answers`` (already resolved and validated) with no further prompt."""
    worker.data = dict(answers)
    worker.defaults = True
    with git_file_mode_read_once():
        worker.run_copy()


@contextmanager
def git_file_mode_read_once() -> Iterator[None]:
    """Read the destination's ``core.fileMode`` once per render instead of once per file.

    After writing each file, copier 9.19's ``Worker._sync_git_index_executable_bit`` starts
    ``git config --get core.fileMode`` in the destination and does nothing more unless it says
    ``false``: about 170 git processes per render of this template (`aiarch new --defaults`
    2.39 -> 2.19 s wall with one read), three times that per `copier update`. The setting cannot
    change while copier writes files, so it is read once per destination; where it is
    ``false``, copier's own method runs for every file as before.
    """
    original = Worker._sync_git_index_executable_bit
    settings: dict[Path, str] = {}

    def sync(worker: Any, dst_relpath: Path, src_mode: int) -> None:
        root = Path(worker.subproject.local_abspath)
        if root not in settings:
            settings[root] = _core_file_mode(root)
        if settings[root] == "false":
            original(worker, dst_relpath, src_mode)

    Worker._sync_git_index_executable_bit = sync  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Worker._sync_git_index_executable_bit = original  # type: ignore[method-assign]


def _core_file_mode(root: Path) -> str:
    """``git config --type=bool --get core.fileMode`` in ``root``, as copier asks it ("" when
    unset, outside a repository or without git)."""
    try:
        result = subprocess.run(
            ["git", "config", "--type=bool", "--get", "core.fileMode"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


@dataclass(frozen=True)
class Evaluation:
    """What copier makes of a (partial) set of answers; missing ones take their defaults."""

    valid: bool
    hidden: frozenset[str]
    values: dict[str, Any]
    error: str | None = None


class QuestionMemo:
    """Each question's outcome (asked or hidden, default, verdict) keyed on what decides it.

    A question's ``when``, default, choices and validator read a few other answers; its outcome
    is a function of those answers and its own given value. The matrix evaluates thousands of
    rows that differ in a few cells: rendering every question's templates again for each row
    was nearly all of `aiarch matrix`'s time. The names a question reads come from Jinja's own
    parse of every string in its copier.yml entry; the rest of the render context is the same
    for every row of one worker.
    """

    def __init__(self, worker: Any) -> None:
        env: jinja2.Environment = worker.jinja_env
        self.reads = {
            name: tuple(sorted(_names_read(env, details)))
            for name, details in questions_data(worker).items()
        }
        self.outcomes: dict[tuple[Any, ...], _Outcome] = {}

    def key(self, name: str, given: Any, answers: AnswersMap) -> tuple[Any, ...]:
        # Only this row's answers (``user``, then ``init``) differ between the rows `evaluate`
        # walks: copier's other sources are empty or the same for every row there. Reading the
        # two maps directly instead of ``answers.combined`` (a new dict of a ChainMap on each
        # call, once per question per row) took `aiarch matrix --strategy pairwise` from 10.6 s
        # to 3.2 s of CPU.
        user, init = answers.user, answers.init
        read = tuple(
            _frozen(user[other] if other in user else init.get(other, MISSING))
            for other in self.reads[name]
        )
        return (name, _frozen(given), read)


@dataclass(frozen=True)
class _Outcome:
    asked: bool
    value: Any
    error: str | None = None


def _names_read(env: jinja2.Environment, details: Any) -> set[str]:
    from jinja2 import meta

    if isinstance(details, str):
        if "{" not in details:
            return set()
        return set(meta.find_undeclared_variables(env.parse(details)))
    if isinstance(details, Mapping):
        return set().union(set(), *(_names_read(env, value) for value in details.values()))
    if isinstance(details, list | tuple):
        return set().union(set(), *(_names_read(env, value) for value in details))
    return set()


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return (type(value).__name__, tuple(_frozen(item) for item in value))
    return (type(value).__name__, value) if value is not MISSING else ("MISSING",)


def evaluate(worker: Any, row: Mapping[str, Any], memo: QuestionMemo | None = None) -> Evaluation:
    """Walk the questions in order as copier does: ``when``, then default, parse and validate.

    ``values`` holds the answer each asked question gets (rendered defaults for those not in
    ``row``); evaluation stops at the first invalid answer. With a ``memo``, a question whose
    deciding answers were seen before is not rendered again.
    """
    answers = AnswersMap(init=dict(row))
    worker.answers = answers
    hidden: set[str] = set()
    values: dict[str, Any] = {}
    for name, details in questions_data(worker).items():
        given = row.get(name, MISSING)
        key = memo.key(name, given, answers) if memo is not None else ()
        outcome = memo.outcomes.get(key) if memo is not None else None
        if outcome is None:
            outcome = _decide(_question(worker, answers, name, details), given)
            if memo is not None:
                memo.outcomes[key] = outcome
        if not outcome.asked:
            # As copier does: not recorded, yet later questions and computed values
            # (`when: false`) see the default.
            hidden.add(name)
            answers.hide(name)
            if outcome.value is not MISSING:
                answers.user[name] = outcome.value
            continue
        if outcome.error is not None:
            return Evaluation(False, frozenset(hidden), values, outcome.error)
        answers.user[name] = outcome.value
        values[name] = outcome.value
    return Evaluation(True, frozenset(hidden), values)


def _decide(question: Any, given: Any) -> _Outcome:
    if not question.get_when():
        return _Outcome(asked=False, value=question.get_default())
    value = given
    try:
        # copier validates a rendered default as it renders it.
        if value is MISSING:
            value = question.get_default()
        question.validate_answer(question.parse_answer(value))
    except ValueError as exc:
        return _Outcome(asked=True, value=value, error=str(exc))
    return _Outcome(asked=True, value=value)


def validation_message(exc: BaseException) -> tuple[str, str] | None:
    """(question, message) when ``exc`` is copier's failed-validator error, else None."""
    if not isinstance(exc, ValueError):
        return None
    match = _VALIDATION_ERROR.match(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    return (match["name"], match["msg"].strip()) if match else None


def memoize_string_templates(worker: Any) -> None:
    """Compile each distinct inline template once per render.

    copier renders every path part, and the answers-file name, through ``from_string``,
    which compiles anew on each call: a conditional folder name is compiled once for every
    file below it. Compiled templates are immutable, so sharing them is safe; this roughly
    halves copier's render time on this template.
    """
    env: jinja2.Environment = worker.jinja_env
    env.from_string = _memoized(env.from_string, {})  # type: ignore[method-assign]


_FromString = Callable[..., jinja2.Template]


def _memoized(compile_template: _FromString, cache: dict[str, jinja2.Template]) -> _FromString:
    def from_string(
        source: str | jinja2.nodes.Template,
        globals: dict[str, Any] | None = None,
        template_class: type[jinja2.Template] | None = None,
    ) -> jinja2.Template:
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return compile_template(source, globals, template_class)
        if source not in cache:
            cache[source] = compile_template(source)
        return cache[source]

    return from_string


@contextmanager
def string_templates_memoized() -> Iterator[None]:
    """``memoize_string_templates`` for every environment copier creates meanwhile.

    ``run_update`` renders three times (the old version in a scratch folder, the new one in
    place, the new one again in a scratch folder to diff), each with a Worker and a Jinja
    environment of its own: each environment gets its own cache, for as long as this runs.
    """
    original = SandboxedEnvironment.from_string
    caches: weakref.WeakKeyDictionary[jinja2.Environment, dict[str, jinja2.Template]] = (
        weakref.WeakKeyDictionary()
    )

    def from_string(
        env: jinja2.Environment,
        source: str | jinja2.nodes.Template,
        globals: dict[str, Any] | None = None,
        template_class: type[jinja2.Template] | None = None,
    ) -> jinja2.Template:
        def compile_template(*args: Any) -> jinja2.Template:
            return original(env, *args)

        cache = caches.setdefault(env, {})
        return _memoized(compile_template, cache)(source, globals, template_class)

    SandboxedEnvironment.from_string = from_string  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        SandboxedEnvironment.from_string = original  # type: ignore[method-assign]


__all__ = [
    "Evaluation",
    "evaluate",
    "git_file_mode_read_once",
    "memoize_string_templates",
    "open_worker",
    "questions_data",
    "render_copy",
    "resolve_answers",
    "string_templates_memoized",
    "validation_message",
]
