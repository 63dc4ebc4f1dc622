"""A built wheel carries the template: `aiarch new` works outside a checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def test_installed_wheel_creates_a_project_outside_the_checkout(tmp_path: Path) -> None:
    uv = require("uv")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist")], cwd=REPO_ROOT)
    wheel = next((tmp_path / "dist").glob("aiarch_scaffold-*.whl"))
    venv = tmp_path / "venv"
    run([uv, "venv", "-q", "--python", sys.executable, str(venv)], cwd=tmp_path)
    run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        cwd=tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run([str(venv / "bin" / "aiarch"), "new", "demo", "--defaults"], cwd=outside)
    project = outside / "demo"
    assert (project / "services" / "serving" / "Dockerfile").is_file()
    answers = (project / ".copier-answers.yml").read_text()
    assert "project_slug: customer_churn_platform" in answers
    # The template came from the wheel, not from this checkout.
    assert str(REPO_ROOT) not in answers
    assert "_src_path: https://" in answers

    # Offline update from the wheel's own template history: git may use local transports only.
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "generated"]):
        run(["git", *args], cwd=project)
    offline = {"GIT_ALLOW_PROTOCOL": "file", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = run([str(venv / "bin" / "aiarch"), "update", "--defaults"], cwd=project, env=offline)
    assert "Nothing changes." in result.stdout
    pretend = run([str(venv / "bin" / "aiarch"), "update", "--defaults", "--pretend"],
                  cwd=project, env=offline)
    assert "Would update" in pretend.stdout
