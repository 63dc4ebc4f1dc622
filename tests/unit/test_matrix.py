from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold import matrix
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.template_source import default_source

# A questionnaire shaped like the real option families: a cross-question validator and a
# question that only exists when another is answered a certain way.
COPIER_YML = """
_subdirectory: template
project_name:
  type: str
  default: Demo
cloud:
  type: str
  choices: [aws, gcp, azure, local]
  default: local
iac:
  type: str
  choices: [terraform, cloudformation]
  default: terraform
  validator: >-
    {% if iac == 'cloudformation' and cloud != 'aws' %}CloudFormation needs aws{% endif %}
ci:
  type: str
  choices: {GitHub Actions: github, GitLab CI: gitlab, Jenkins: jenkins}
  default: github
gpu:
  type: bool
  default: false
gpu_type:
  type: str
  choices: [t4, a100]
  default: t4
  when: "{{ gpu }}"
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("matrix-template")
    (path / "copier.yml").write_text(COPIER_YML)
    (path / "template").mkdir()
    (path / "template" / "README.md.jinja").write_text("{{ project_name }}\n")
    return path


def _valid(row: dict[str, object]) -> bool:
    return not (row["iac"] == "cloudformation" and row["cloud"] != "aws")


def _all_valid_rows() -> list[dict[str, object]]:
    rows = []
    for cloud, iac, ci, gpu in itertools.product(
        ["aws", "gcp", "azure", "local"],
        ["terraform", "cloudformation"],
        ["github", "gitlab", "jenkins"],
        [True, False],
    ):
        row: dict[str, object] = {"cloud": cloud, "iac": iac, "ci": ci, "gpu": gpu}
        if not _valid(row):
            continue
        for gpu_type in ["t4", "a100"] if gpu else [None]:
            rows.append({**row, **({"gpu_type": gpu_type} if gpu_type else {})})
    return rows


def _pairs(row: dict[str, object]) -> set[tuple[tuple[str, object], tuple[str, object]]]:
    return set(itertools.combinations(sorted(row.items(), key=lambda kv: kv[0]), 2))


@pytest.mark.parametrize("strategy", ["each", "pairwise", "all"])
def test_every_choice_appears_and_no_row_breaks_a_validator(root: Path, strategy: str) -> None:
    rows = matrix.compute(strategy, root=root)
    seen = {(k, v) for row in rows for k, v in row.items()}
    for value in ("aws", "gcp", "azure", "local"):
        assert ("cloud", value) in seen
    assert ("iac", "cloudformation") in seen and ("ci", "jenkins") in seen
    assert ("gpu_type", "a100") in seen and ("gpu", False) in seen
    for row in rows:
        assert _valid(row), row
        assert ("gpu_type" in row) == row["gpu"], "gpu_type only when gpu is on"


def test_pairwise_covers_every_pair_that_can_co_occur(root: Path) -> None:
    rows = matrix.compute("pairwise", root=root)
    possible = set().union(*(_pairs(r) for r in _all_valid_rows()))
    covered = set().union(*(_pairs(r) for r in rows))
    assert possible - covered == set()
    assert len(rows) < len(_all_valid_rows())


class _EveryRowValid:
    def check(self, row):
        return True, frozenset()


def test_greedy_cover_drops_rows_whose_pairs_others_cover() -> None:
    # The first four rows form an orthogonal array: together they hold every pair, so the
    # last row (whose pairs they all hold) is left out.
    pool = [
        {"a": 1, "b": 1, "c": 1},
        {"a": 1, "b": 2, "c": 2},
        {"a": 2, "b": 1, "c": 2},
        {"a": 2, "b": 2, "c": 1},
        {"a": 1, "b": 1, "c": 2},
    ]
    assert matrix._greedy_cover(pool, _EveryRowValid()) == pool[:4]


def _pairs_of(rows: list[dict[str, int]]) -> set[object]:
    return set().union(*(matrix._visible_pairs(row, _EveryRowValid()) for row in rows))


def test_constructed_rows_cover_every_pair_in_few_rows() -> None:
    # Four factors of three values: 81 combinations, 54 pairs; an orthogonal array needs 9 rows.
    factors = [matrix.Factor(name, (1, 2, 3)) for name in "abcd"]
    product = [
        dict(zip("abcd", values, strict=True)) for values in itertools.product((1, 2, 3), repeat=4)
    ]
    rows = matrix._constructed(product, factors, _EveryRowValid())  # type: ignore[arg-type]
    assert _pairs_of(rows) == _pairs_of(product)
    assert len(rows) <= 11


def test_randomised_rows_cover_every_pair_and_repeat_under_the_seed() -> None:
    # Five factors of three values plus one of four: 972 combinations; a seeded run is the same
    # run, and it covers every pair in not many more rows than the 12 (4 x 3) a cover needs.
    factors = [matrix.Factor(name, (1, 2, 3)) for name in "abcde"] + [
        matrix.Factor("f", (1, 2, 3, 4))
    ]
    product = [
        dict(zip("abcdef", values, strict=True))
        for values in itertools.product(*(factor.values for factor in factors))
    ]
    universe = _pairs_of(product)

    def run(seed: int) -> list[dict[str, int]]:
        rng = random.Random(seed)  # noqa: S311 (a search order, not a secret)
        return matrix._randomised(universe, factors, _EveryRowValid(), rng)  # type: ignore[arg-type]

    rows = run(0)
    assert _pairs_of(rows) == universe
    assert len(rows) <= 16
    assert run(0) == rows


def test_closed_completes_a_partial_cover_from_the_pool_rows() -> None:
    # A randomised pass can leave a pair it never reaches (one under a hidden question): the
    # pool row that holds it closes the cover, where the pass used to be dropped whole.
    pool = [
        {"a": 1, "b": 1, "c": 1},
        {"a": 1, "b": 2, "c": 2},
        {"a": 2, "b": 1, "c": 2},
        {"a": 2, "b": 2, "c": 1},
    ]
    universe = _pairs_of(pool)
    closed = matrix._closed(pool[:2], pool, universe, _EveryRowValid())  # type: ignore[arg-type]
    assert closed[:2] == pool[:2]
    assert _pairs_of(closed) == universe
    assert len(closed) == 4


def test_prune_drops_a_row_the_others_make_redundant() -> None:
    pool = [
        {"a": 1, "b": 1, "c": 1},
        {"a": 1, "b": 1, "c": 2},
        {"a": 1, "b": 2, "c": 2},
        {"a": 2, "b": 1, "c": 2},
        {"a": 2, "b": 2, "c": 1},
    ]
    kept = matrix._prune(pool, _EveryRowValid())  # type: ignore[arg-type]
    assert kept == [pool[0], *pool[2:]]


def test_lighten_gives_back_defaults_no_pair_needs() -> None:
    # c=2 in rows 1 and 2 only repeats pairs rows 3 and 4 hold: both go back to the default.
    # Row 3 then holds the only (a=2, c=2) and (b=2, c=2), so it keeps c=2.
    factors = [matrix.Factor(name, (1, 2), default=1) for name in "abc"]
    rows = [
        {"a": 1, "b": 1, "c": 1},
        {"a": 1, "b": 2, "c": 2},
        {"a": 2, "b": 1, "c": 2},
        {"a": 2, "b": 2, "c": 2},
        {"a": 1, "b": 1, "c": 2},
    ]
    lightened = matrix._lighten(rows, factors, _EveryRowValid())  # type: ignore[arg-type]
    assert _pairs_of(lightened) >= _pairs_of(rows)
    assert lightened == [
        {"a": 1, "b": 1, "c": 1},
        {"a": 1, "b": 2, "c": 1},
        {"a": 2, "b": 1, "c": 1},
        {"a": 2, "b": 2, "c": 2},
        {"a": 1, "b": 1, "c": 2},
    ]


def test_factors_know_their_plain_defaults_only() -> None:
    source = default_source()
    evaluator = matrix.Evaluator(source.root, source.vcs_ref)
    try:
        defaults = {f.name: f.default for f in matrix.factors_of(evaluator.questions)}
    finally:
        evaluator.close()
    assert defaults["ml_framework"] == "sklearn"
    assert defaults["ab_testing"] is False
    assert defaults["processing"] == "pandas"


def test_pairwise_is_smaller_than_allpairspy_alone() -> None:
    # The real questionnaire: allpairspy plus the rows for the pairs it missed gave 20 rows
    # where 13 covered the same pairs (before gateway_auth).
    source = default_source()
    evaluator = matrix.Evaluator(source.root, source.vcs_ref)
    try:
        factors = matrix.factors_of(evaluator.questions)
        allpairs = matrix._allpairs(factors, evaluator)
        greedy = matrix._pairwise(factors, evaluator)
        pairs = lambda rows: set().union(*(matrix._visible_pairs(r, evaluator) for r in rows))  # noqa: E731
        # Every pair allpairspy covers, and those its completion missed (grpc with jwt is
        # only valid on GKE: completing the pair with the first valid values never gets there).
        assert pairs(greedy) >= pairs(allpairs)
        assert len(greedy) < len(allpairs)
    finally:
        evaluator.close()


def test_all_is_exactly_the_valid_cartesian_product(root: Path) -> None:
    rows = matrix.compute("all", root=root)
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(map(key, rows)) == sorted(map(key, _all_valid_rows()))


def test_all_has_a_size_guard(root: Path) -> None:
    with pytest.raises(UsageError, match="limit"):
        matrix.compute("all", root=root, limit=10)


def test_same_input_same_output(root: Path) -> None:
    assert matrix.compute("pairwise", root=root) == matrix.compute("pairwise", root=root)
    assert matrix.compute("each", root=root) == matrix.compute("each", root=root)


def test_include_pins_a_factor(root: Path) -> None:
    rows = matrix.compute("pairwise", root=root, includes={"cloud": "aws"})
    assert rows and all(row["cloud"] == "aws" for row in rows)
    assert {row["iac"] for row in rows} == {"terraform", "cloudformation"}


@pytest.mark.parametrize(("key", "value"), [("colour", "red"), ("cloud", "mars")])
def test_include_rejects_unknown_keys_and_values(root: Path, key: str, value: str) -> None:
    with pytest.raises(UsageError):
        matrix.compute("pairwise", root=root, includes={key: value})


def test_formats(root: Path) -> None:
    rows = matrix.compute("each", root=root)
    github = json.loads(matrix.render(rows, "github"))
    assert len(github["include"]) == len(rows)
    assert github["include"][0]["data"].startswith("--data ")
    gitlab = yaml.safe_load(matrix.render(rows, "gitlab"))
    assert len(gitlab["parallel"]["matrix"]) == len(rows)
    assert json.loads(matrix.render(rows, "json")) == rows
    with pytest.raises(UsageError):
        matrix.render(rows, "xml")


def test_real_copier_yml_rows_render(tmp_path: Path) -> None:
    from aiarch_scaffold.generate import create_project

    for index, row in enumerate(matrix.compute("each")):
        assert create_project(tmp_path / f"v{index}", row).answers.items() >= row.items()


def test_default_matrix_covers_the_questions_aiarch_new_asks() -> None:
    from aiarch_scaffold.questions import load_questions

    factors = {q.name for q in load_questions() if q.is_choice or q.type == "bool"}
    rows = matrix.compute("each")
    assert set().union(*(row.keys() for row in rows)) == factors


COMPUTED_YML = """
_subdirectory: template
cloud:
  type: str
  choices: [aws, local]
  default: local
in_cloud:
  type: bool
  when: false
  default: "{{ cloud != 'local' }}"
region:
  type: str
  choices: [eu, us]
  default: eu
  when: "{{ in_cloud }}"
"""


def test_computed_values_are_no_factor_but_later_questions_see_them(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text(COMPUTED_YML)
    (tmp_path / "template").mkdir()
    rows = matrix.compute("all", root=tmp_path)
    # in_cloud is computed (when: false): not a column; region is asked exactly in the cloud.
    assert rows == [
        {"cloud": "aws", "region": "eu"},
        {"cloud": "aws", "region": "us"},
        {"cloud": "local"},
    ]
    with pytest.raises(UsageError, match="not a choice question"):
        matrix.compute("each", root=tmp_path, includes={"in_cloud": "true"})
