"""Covering sets of answer combinations, computed from copier.yml.

Factors are the choice and boolean questions. A row is valid when every question's `when`
and `validator` accept it, evaluated by copier itself; questions hidden by `when` keep one
canonical value (they are not asked, so they form no pairs).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from aiarch_scaffold import copier_adapter
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.questions import Question, parse_questions
from aiarch_scaffold.template_source import TemplateSource, default_source

Strategy = Literal["each", "pairwise", "all"]
STRATEGIES: tuple[str, ...] = ("each", "pairwise", "all")
FORMATS: tuple[str, ...] = ("table", "json", "github", "gitlab", "data")
DEFAULT_ALL_LIMIT = 5000
# Up to this many combinations, pairwise picks its rows from every valid one (each is checked
# by copier, a few milliseconds apiece); above it, from allpairspy's rows only.
POOL_LIMIT = 2000
# The randomised AETG passes: candidate rows tried for each row a pass adds, and the fixed seeds
# of the passes (the rows must be the same on every machine and every xdist worker). More seeds
# found no smaller cover on 2026-11-30's copier.yml (four gave the same 21 rows in 36 s of CPU
# against 11 s), and `aiarch matrix` is run by hand and by CI, so one pass is kept.
RANDOM_CANDIDATES = 30
RANDOM_SEEDS = (0,)
Row = dict[str, Any]


@dataclass(frozen=True)
class Factor:
    name: str
    values: tuple[Any, ...]
    # The question's default when it is one of the values (never a templated one): the value
    # most projects run, and the light one where a choice pulls a heavy stack (sklearn, pandas,
    # no orchestrator, no broker).
    default: Any = None


def factors_of(questions: Sequence[Question]) -> list[Factor]:
    found = []
    for question in questions:
        if question.is_computed:
            continue  # derived by copier.yml, never asked: not a factor
        if question.is_choice:
            values: tuple[Any, ...] = tuple(question.values)
        elif question.type == "bool":
            values = (True, False)
        else:
            continue
        default = None if question.is_templated else question.default
        found.append(Factor(question.name, values, default if default in values else None))
    return found


class Evaluator:
    """Asks copier whether a (partial) row is valid, and which questions it hides."""

    def __init__(self, root: Path, vcs_ref: str | None = None) -> None:
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        self.worker = self._stack.enter_context(
            copier_adapter.open_worker(root, vcs_ref=vcs_ref, defaults=True)
        )
        # Every check renders the same `when`, default and validator strings: compile each once.
        copier_adapter.memoize_string_templates(self.worker)
        self.questions_data: dict[str, Any] = copier_adapter.questions_data(self.worker)
        self.questions = parse_questions(self.questions_data)
        self._memo = copier_adapter.QuestionMemo(self.worker)
        self._cache: dict[tuple[tuple[str, Any], ...], tuple[bool, frozenset[str]]] = {}

    def close(self) -> None:
        self._stack.close()

    def check(self, row: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
        """(valid, hidden question names) for ``row``; unknown answers take their defaults."""
        key = tuple(sorted(row.items(), key=lambda item: item[0]))
        if key not in self._cache:
            self._cache[key] = self._check(row)
        return self._cache[key]

    def _check(self, row: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
        evaluation = copier_adapter.evaluate(self.worker, row, self._memo)
        return evaluation.valid, evaluation.hidden


def _visible(row: Row, hidden: frozenset[str]) -> Row:
    return {key: value for key, value in row.items() if key not in hidden}


def _canonical_ok(row: Row, hidden: frozenset[str], factors: Sequence[Factor]) -> bool:
    """A hidden factor must carry its first value, so it cannot form pairs of its own."""
    return all(row[f.name] == f.values[0] for f in factors if f.name in hidden and f.name in row)


def _pairwise(factors: Sequence[Factor], evaluator: Evaluator) -> list[Row]:
    if len(factors) < 2:
        return _each(factors, evaluator)
    covering = _allpairs(factors, evaluator)
    # allpairspy is blind to hidden questions, and the rows added for the pairs it missed
    # overlap it: pick a smaller cover from its rows, rows built one at a time for the pairs
    # still open (AETG), and, when the space is small enough to list, every valid row. Each
    # pairwise row is a whole CI job, so every row saved counts.
    constructed = _constructed(covering, factors, evaluator)
    pool = covering + constructed
    if _size(factors) <= POOL_LIMIT:
        pool += _all(factors, evaluator, POOL_LIMIT)
    universe = set().union(*(_visible_pairs(row, evaluator) for row in pool))
    covers = [
        _prune(_greedy_cover(pool, evaluator), evaluator),
        _prune(constructed + _greedy_cover(covering, evaluator), evaluator),
    ]
    for seed in RANDOM_SEEDS:
        # A seeded search order, not a secret: the same rows on every machine.
        randomised = _randomised(universe, factors, evaluator, random.Random(seed))  # noqa: S311
        covers.append(_prune(_closed(randomised, pool, universe, evaluator), evaluator))
    # The first smallest: ties keep the earlier cover, so the rows do not depend on dict order.
    smallest = min(covers, key=len)
    return _lighten(smallest, factors, evaluator)


def _closed(
    rows: Sequence[Row], pool: Sequence[Row], universe: set[Pair], evaluator: Evaluator
) -> list[Row]:
    """``rows`` plus, greedily, the pool rows holding the pairs ``rows`` miss: a pair that a
    grown row could not reach and ``_complete`` could not pin (a pair under a hidden question)
    is held by the pool row it came from."""
    closed = list(rows)
    missing = universe - set().union(*(_visible_pairs(row, evaluator) for row in closed))
    while missing:
        best = max(pool, key=lambda row: len(_visible_pairs(row, evaluator) & missing))
        gained = _visible_pairs(best, evaluator) & missing
        if not gained:
            break
        closed.append(best)
        missing -= gained
    return closed


def _allpairs(factors: Sequence[Factor], evaluator: Evaluator) -> list[Row]:
    """allpairspy's rows, plus rows for the pairs it counted as covered by a hidden value."""
    from allpairspy import AllPairs

    names = [f.name for f in factors]

    def accept(values: Sequence[Any]) -> bool:
        row = dict(zip(names, values, strict=False))
        valid, hidden = evaluator.check(row)
        return valid and _canonical_ok(row, hidden, factors)

    rows = [
        dict(zip(names, values, strict=True))
        for values in AllPairs([list(f.values) for f in factors], filter_func=accept)
    ]
    return _cover_missing(rows, factors, evaluator)


def _size(factors: Sequence[Factor]) -> int:
    size = 1
    for factor in factors:
        size *= len(factor.values)
    return size


def _greedy_cover(pool: Sequence[Row], evaluator: Evaluator) -> list[Row]:
    """The classic greedy set cover: repeatedly take the row that covers the most pairs not
    covered yet (the first such row in ``pool`` order, so the result is deterministic)."""
    pairs = [_visible_pairs(row, evaluator) for row in pool]
    uncovered = set().union(*pairs) if pairs else set()
    chosen: list[Row] = []
    while uncovered:
        best = max(range(len(pool)), key=lambda index: len(pairs[index] & uncovered))
        chosen.append(pool[best])
        uncovered -= pairs[best]
    return chosen


def _constructed(
    covering: Sequence[Row], factors: Sequence[Factor], evaluator: Evaluator, tries: int = 3
) -> list[Row]:
    """Rows built one at a time, each covering as many open pairs as it can (Cohen et al.'s
    AETG): start from an open pair, then give every other factor the valid value that closes
    the most open pairs with the values already chosen. Of the candidates (``tries`` starting
    pairs, factors in copier.yml order and widest first) the best is kept. Deterministic."""
    orders = [list(factors), sorted(factors, key=lambda factor: -len(factor.values))]
    open_pairs = set().union(*(_visible_pairs(row, evaluator) for row in covering))
    rows: list[Row] = []
    while open_pairs:
        best: tuple[int, Row] | None = None
        for start in sorted(open_pairs, key=repr)[:tries]:
            for order in orders:
                row = _grow(dict(start), order, evaluator, open_pairs)
                gain = len(_visible_pairs(row, evaluator) & open_pairs) if row else 0
                if row and (best is None or gain > best[0]):
                    best = (gain, row)
        if best is None or best[0] == 0:
            break  # what is left is covered by allpairspy's rows, which stay in the pool
        rows.append(best[1])
        open_pairs -= _visible_pairs(best[1], evaluator)
    return rows


def _randomised(
    universe: set[Pair],
    factors: Sequence[Factor],
    evaluator: Evaluator,
    rng: random.Random,
    candidates: int = RANDOM_CANDIDATES,
) -> list[Row]:
    """AETG as its authors run it: for each row, ``candidates`` random starting pairs, each
    grown over a random order of the factors; the candidate closing the most open pairs is
    kept. On a space of many conditional questions this finds covers a fifth smaller than the
    deterministic orders of ``_constructed`` (24 -> 19 rows on 2026-11-30's copier.yml). A pair
    no grown row reaches gets a row of its own, completed the way allpairspy's misses are."""
    open_pairs = set(universe)
    rows: list[Row] = []
    while open_pairs:
        starts = sorted(open_pairs, key=repr)
        best: tuple[int, Row] | None = None
        for _ in range(candidates):
            order = list(factors)
            rng.shuffle(order)
            row = _grow(dict(rng.choice(starts)), order, evaluator, open_pairs)
            gain = len(_visible_pairs(row, evaluator) & open_pairs) if row else 0
            if row and gain and (best is None or gain > best[0]):
                best = (gain, row)
        if best is None:
            break
        rows.append(best[1])
        open_pairs -= _visible_pairs(best[1], evaluator)
    for first, second in sorted(open_pairs, key=repr):
        row = _complete({first[0]: first[1], second[0]: second[1]}, factors, evaluator)
        if row is not None and (first, second) in _visible_pairs(row, evaluator):
            rows.append(row)
    return rows


def _grow(
    row: Row, order: Sequence[Factor], evaluator: Evaluator, open_pairs: set[Pair]
) -> Row | None:
    pinned = frozenset(row)
    for factor in order:
        if factor.name in row:
            continue
        best: tuple[bool, int, int] | None = None
        for index, value in enumerate(factor.values):
            trial = {**row, factor.name: value}
            valid, hidden = evaluator.check(trial)
            if not (valid and _canonical_ok(trial, hidden - pinned, order)):
                continue
            closed = sum(
                tuple(sorted(((factor.name, value), other), key=lambda item: item[0])) in open_pairs
                for other in _visible(row, hidden).items()
            )
            # Keep every pinned question asked first, then close the most pairs, then the
            # earlier value.
            score = (not hidden & pinned, closed, -index)
            if best is None or score > best:
                best = score
        if best is None:
            return None
        row[factor.name] = factor.values[-best[2]]
    valid, hidden = evaluator.check(row)
    complete = valid and _canonical_ok(row, hidden, order) and not hidden & pinned
    return row if complete else None


def _prune(rows: Sequence[Row], evaluator: Evaluator) -> list[Row]:
    """Drop, last first, each row whose pairs the remaining rows all hold."""
    kept = list(rows)
    for row in reversed(list(rows)):
        others = [other for other in kept if other is not row]
        held = set().union(*(_visible_pairs(other, evaluator) for other in others))
        if _visible_pairs(row, evaluator) <= held:
            kept = others
    return kept


def _lighten(rows: Sequence[Row], factors: Sequence[Factor], evaluator: Evaluator) -> list[Row]:
    """Give back each question's default wherever no pair needs another value there.

    A cover fixes the number of rows, not every cell: a value that only repeats pairs other rows
    already hold can be the default instead. Every non-default value left is one some pair
    needs, so heavy stacks (a framework, Spark, an orchestrator) run in as few CI jobs as the
    pairs allow and a job seldom carries several of them at once. Same rows, same pairs.
    """
    kept = [dict(row) for row in rows]
    needed = set().union(*(_visible_pairs(row, evaluator) for row in kept)) if kept else set()
    for index in range(len(kept)):
        for factor in factors:
            row = kept[index]
            if factor.default is None or row.get(factor.name, factor.default) == factor.default:
                continue
            trial = {**row, factor.name: factor.default}
            valid, hidden = evaluator.check(trial)
            if not (valid and _canonical_ok(trial, hidden, factors)):
                continue
            others = set().union(
                *(_visible_pairs(other, evaluator) for at, other in enumerate(kept) if at != index)
            )
            if needed <= others | _visible_pairs(trial, evaluator):
                kept[index] = trial
    return kept


def _complete(partial: Row, factors: Sequence[Factor], evaluator: Evaluator) -> Row | None:
    """Fill the missing factors with the first values that keep the row valid, preferring
    values under which every pinned factor is asked; None when no such row is found."""
    row: Row = dict(partial)
    for factor in factors:
        if factor.name in row:
            continue
        candidates = []
        for value in factor.values:
            trial = {**row, factor.name: value}
            valid, hidden = evaluator.check(trial)
            # A pinned value may be hidden until a later factor switches its question on.
            if valid and _canonical_ok(trial, hidden - partial.keys(), factors):
                candidates.append((bool(hidden & partial.keys()), value))
        if not candidates:
            return None
        row[factor.name] = min(candidates, key=lambda item: item[0])[1]
    valid, hidden = evaluator.check(row)
    complete = valid and _canonical_ok(row, hidden, factors) and not hidden & partial.keys()
    return row if complete else None


Pair = tuple[tuple[str, Any], tuple[str, Any]]


def _visible_pairs(row: Row, evaluator: Evaluator) -> set[Pair]:
    _, hidden = evaluator.check(row)
    items = sorted(_visible(row, hidden).items(), key=lambda item: item[0])
    return set(itertools.combinations(items, 2))


def _cover_missing(rows: list[Row], factors: Sequence[Factor], evaluator: Evaluator) -> list[Row]:
    """Add rows for value pairs the generator counted as covered by a hidden factor.

    allpairspy sees a hidden question's canonical value as a real one; a pair is only
    covered when both questions are asked.
    """
    covered = set().union(*(_visible_pairs(row, evaluator) for row in rows)) if rows else set()
    for first, second in itertools.combinations(factors, 2):
        for a, b in itertools.product(first.values, second.values):
            pair = ((first.name, a), (second.name, b))
            if tuple(sorted(pair, key=lambda item: item[0])) in covered:
                continue
            row = _complete(dict(pair), factors, evaluator)
            if row is None:
                continue  # the two values never co-occur
            rows.append(row)
            covered |= _visible_pairs(row, evaluator)
    return rows


def _each(factors: Sequence[Factor], evaluator: Evaluator) -> list[Row]:
    """Greedy: each row adds as many not-yet-seen values as stay valid together."""
    uncovered = {(f.name, v) for f in factors for v in f.values}
    rows: list[Row] = []
    while uncovered:
        name, value = min(uncovered, key=lambda item: (item[0], str(item[1])))
        seed = _complete({name: value}, factors, evaluator)
        if seed is None:
            uncovered.discard((name, value))  # no valid row can hold this value
            continue
        for factor in factors:
            for candidate in factor.values:
                if (factor.name, candidate) in uncovered and seed[factor.name] != candidate:
                    trial = {**seed, factor.name: candidate}
                    valid, hidden = evaluator.check(trial)
                    if valid and _canonical_ok(trial, hidden, factors):
                        seed = trial
                        break
        rows.append(seed)
        uncovered -= set(seed.items())
    return rows


def _all(factors: Sequence[Factor], evaluator: Evaluator, limit: int) -> list[Row]:
    size = _size(factors)
    if size > limit:
        raise UsageError(
            f"strategy 'all' would check {size} combinations (limit {limit}); "
            "use pairwise or --include to pin factors"
        )
    names = [f.name for f in factors]
    rows = []
    for values in itertools.product(*(f.values for f in factors)):
        row = dict(zip(names, values, strict=True))
        valid, hidden = evaluator.check(row)
        if valid and _canonical_ok(row, hidden, factors):
            rows.append(row)
    return rows


def _pin(factors: list[Factor], includes: Mapping[str, str]) -> list[Factor]:
    by_name = {f.name: f for f in factors}
    for key, value in includes.items():
        if key not in by_name:
            raise UsageError(
                f"--include {key}: not a choice question; choose from {', '.join(sorted(by_name))}"
            )
        matches = [v for v in by_name[key].values if str(v) == value]
        if not matches:
            allowed = ", ".join(str(v) for v in by_name[key].values)
            raise UsageError(f"--include {key}={value}: allowed values are {allowed}")
        by_name[key] = Factor(key, (matches[0],))
    return [by_name[f.name] for f in factors]


def compute(
    strategy: str = "pairwise",
    *,
    includes: Mapping[str, str] | None = None,
    root: Path | None = None,
    limit: int = DEFAULT_ALL_LIMIT,
) -> list[Row]:
    """Deterministic covering rows (visible factors only) for ``strategy``."""
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    # The same template `aiarch new` renders: a checkout's HEAD, not copier's newest tag.
    source = TemplateSource(root) if root is not None else default_source()
    evaluator = Evaluator(source.root, source.vcs_ref)
    try:
        factors = _pin(factors_of(evaluator.questions), includes or {})
        if strategy == "each":
            rows = _each(factors, evaluator)
        elif strategy == "pairwise":
            rows = _pairwise(factors, evaluator)
        else:
            rows = _all(factors, evaluator, limit)
        unique: list[Row] = []
        for row in rows:
            _, hidden = evaluator.check(row)
            visible = {f.name: row[f.name] for f in factors if f.name not in hidden}
            if visible not in unique:
                unique.append(visible)
        return unique
    finally:
        evaluator.close()


def row_id(row: Mapping[str, Any]) -> str:
    return "-".join(str(value).lower().replace(".", "") for value in row.values()) or "default"


def data_args(row: Mapping[str, Any]) -> str:
    """The `aiarch new` arguments that reproduce ``row``."""
    return " ".join(f"--data {key}={value}" for key, value in row.items())


def render(rows: Iterable[Row], fmt: str) -> str:
    rows = list(rows)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "github":
        include = [{"id": row_id(r), "data": data_args(r), **r} for r in rows]
        return json.dumps({"include": include})
    if fmt == "gitlab":
        matrix = [{"VARIANT": [row_id(r)], "VARIANT_DATA": [data_args(r)]} for r in rows]
        return yaml.safe_dump({"parallel": {"matrix": matrix}}, sort_keys=False)
    if fmt == "data":
        return "\n".join(data_args(r) for r in rows)
    raise UsageError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
