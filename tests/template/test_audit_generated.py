"""`aiarch audit` gives generated projects top marks: 100 once `make install` wrote uv.lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold import audit
from aiarch_scaffold.generate import create_project
from tests.tools import require, run

VARIANTS = {
    "default": {},
    "aws-terraform-kubernetes-github": {
        "cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes", "ci": "github",
    },
    "gcp-containers-gitlab": {
        "cloud": "gcp", "iac": "terraform", "deploy_target": "containers", "ci": "gitlab",
    },
}  # fmt: skip


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_generated_project_scores_100(tmp_path: Path, answers: dict[str, str]) -> None:
    project = create_project(tmp_path / "p", answers).destination
    fresh = audit.audit(project)
    # A fresh render has no uv.lock yet (`make install` writes it): the only gap, by design.
    assert [f.id for f in fresh.gaps] == ["deps-lock"]
    require("uv")
    run(["uv", "lock"], cwd=project)
    report = audit.audit(project)
    assert report.gaps == [], audit.to_markdown(report)
    assert report.score == 100
    not_applicable = {f.id for f in report.checks if f.passed is None}
    assert not_applicable == ({"iac", "iac-scanned"} if not answers else set())
