"""README.md "Onboarding a team": the commands run as written, one after the other."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def _onboarding_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Onboarding a team", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, "no bash block under 'Onboarding a team'"
    return [line for line in block[1].splitlines() if line.strip()]


def test_the_onboarding_flow_runs_as_written(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "Onboarding Test",
        "GIT_AUTHOR_EMAIL": "onboarding@example.invalid",
        "GIT_COMMITTER_NAME": "Onboarding Test",
        "GIT_COMMITTER_EMAIL": "onboarding@example.invalid",
    }
    commands = _onboarding_commands()
    assert any(command.startswith("aiarch add service") for command in commands)
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        output = done.stdout + done.stderr
        if command.startswith("aiarch doctor"):
            # Its exit code says whether this machine has every required tool: 0 or 1, a verdict.
            assert done.returncode in (0, 1), output
            assert "required" in output.splitlines()[-1], output
        else:
            assert done.returncode == 0, f"{command}\n{output}"
    project = tmp_path / "acme-churn"
    assert (project / "services" / "scoring" / "Dockerfile").is_file()
    assert "scoring" in (project / "Makefile").read_text(encoding="utf-8")
    assert (tmp_path / "portal" / "template.yaml").is_file()
