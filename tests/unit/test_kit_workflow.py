"""The kit's own GitHub workflow passes the same validators it asks of generated projects."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT
from tests.tools import require, run

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


@pytest.mark.xdist_group("kit-workflow")
def test_kit_workflow_is_schema_valid_and_zizmor_clean() -> None:
    uv = require("uv")
    run(
        [
            uv,
            "tool",
            "run",
            "-q",
            "--from",
            "check-jsonschema==0.39.0",
            "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        cwd=REPO_ROOT,
    )
    result = run(
        [
            uv,
            "tool",
            "run",
            "-q",
            "--from",
            "zizmor==1.32.0",
            "zizmor",
            "--offline",
            "--no-progress",
            str(WORKFLOW.parent),
        ],
        cwd=REPO_ROOT,
    )
    assert "No findings" in result.stdout + result.stderr
