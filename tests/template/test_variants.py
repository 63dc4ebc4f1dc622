"""Every pairwise variant renders, passes `make install`, `make pipeline`, `make check` and
`make test`; every `each` variant renders clean. Rows come from copier.yml via `aiarch matrix`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.matrix import compute, row_id
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    missing_named_tests,
    reproduce,
)
from tests.tools import REQUIRED, require, run

PAIRWISE = compute("pairwise")


def _each_rows() -> list[dict[str, object]]:
    """`each` rows, plus every cloud's API gateway on every deploy target (issue 13).

    Each cloud writes its gateway per deploy target (API Gateway in front of Cloud Run or GKE,
    API Management in front of Container Apps or AKS, ...); plain `each` rows reach only some
    of those combinations.
    """
    rows = compute("each")
    targets = sorted({str(row["deploy_target"]) for row in rows if "deploy_target" in row})
    for target in targets:
        for row in compute("each", includes={"api_gateway": "cloud", "deploy_target": target}):
            if row.get("api_gateway") == "cloud" and row not in rows:
                rows.append(row)
        # AWS has two IaC tools, each with its own gateway code: Terraform rows as well.
        pins = {"api_gateway": "cloud", "deploy_target": target, "cloud": "aws", "iac": "terraform"}
        extra = [row for row in compute("each", includes=pins) if row not in rows]
        rows += extra[:1]
    return rows


EACH = _each_rows()


@pytest.mark.parametrize("answers", EACH, ids=[row_id(r) for r in EACH])
def test_each_variant_renders_clean(tmp_path: Path, answers: dict[str, object]) -> None:
    project = create_project(tmp_path / "v", answers).destination
    try:
        assert_clean_output(project)
        assert_only_chosen_files(project, answers)
        assert missing_named_tests(project) == []
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc


# The longest answers copier.yml accepts: every generated line that holds a name must still
# be ruff-clean (a 26-character default slug once pushed a Feast SQL line past 100 columns).
LONGEST_NAMES = {
    "project_name": "Acme Marketing Analytics " + "x" * 39,
    "project_slug": "acme_marketing_analytics_" + "x" * 15,
    "organisation": "acme-marketing-analytics-" + "x" * 14,
}


@pytest.mark.parametrize("answers", PAIRWISE, ids=[row_id(r) for r in PAIRWISE])
def test_pairwise_variant_renders_clean_with_the_longest_names(
    tmp_path: Path, answers: dict[str, object]
) -> None:
    assert [len(value) for value in LONGEST_NAMES.values()] == [64, 40, 39]
    answers = {**answers, **LONGEST_NAMES}
    project = create_project(tmp_path / "v", answers).destination
    try:
        assert_clean_output(project)
        run(["ruff", "check", "--no-cache", "."], cwd=project)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc


@pytest.mark.slow
@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(r, id=row_id(r), marks=pytest.mark.xdist_group(f"v-{row_id(r)}"))
        for r in PAIRWISE
    ],
)
def test_pairwise_variant_checks_and_tests_pass(tmp_path: Path, answers: dict[str, object]) -> None:
    require("uv")
    require("make")
    project = create_project(tmp_path / "v", answers).destination
    env = {"CHECK_REQUIRE_ALL": "1"} if REQUIRED else {}
    try:
        # What `aiarch new` tells the user to run, in that order, then every validator.
        run(["make", "install"], cwd=project)
        run(["make", "pipeline"], cwd=project)
        run(["make", "check"], cwd=project, env={**env, "PATH": os.environ["PATH"]})
        run(["make", "test"], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc
