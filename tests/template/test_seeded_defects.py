"""Each validator behind `make check` is really wired in: a planted defect makes it fail."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("seeded-defects")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("uv")
    require("make")
    path = create_project(tmp_path_factory.mktemp("defects") / "p").destination
    run(["uv", "sync"], cwd=path)
    return path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _root_container(p: Path) -> None:
    dockerfile = p / "services" / "serving" / "Dockerfile"
    text = dockerfile.read_text()
    user_lines = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines, "the Dockerfile should drop root"
    dockerfile.write_text(text.replace(user_lines[-1], "USER root"))


def _unpinned_action(p: Path) -> None:
    workflow = p / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text()
    line = next(line for line in text.splitlines() if "actions/checkout@" in line)
    workflow.write_text(text.replace(line, line.split("@")[0] + "@v4"))


def _invalid_workflow(p: Path) -> None:
    _edit(p / ".github" / "workflows" / "ci.yml", "runs-on:", "runs-onn:")


def _broken_alert_rule(p: Path) -> None:
    _edit(p / "services" / "monitoring" / "prometheus" / "alerts.yml", "expr:", "expr: sum(rate(")


def _planted_secret(p: Path) -> None:
    key = "AKIA" + "Q3EGRYVMDQ7XKP2Z"
    (p / "services" / "serving" / "src" / "serving" / "leak.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{key}"\n'
    )


def _ruff_violation(p: Path) -> None:
    (p / "services" / "serving" / "src" / "serving" / "sloppy.py").write_text("import os\n")


def _bad_yaml(p: Path) -> None:
    (p / "services" / "monitoring" / "prometheus" / "extra.yml").write_text("a: [1, 2\n")


DEFECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "root container (hadolint)": (_root_container, "hadolint"),
    "root container (checkov)": (_root_container, "checkov"),
    "unpinned action (zizmor)": (_unpinned_action, "zizmor"),
    "invalid workflow (schema)": (_invalid_workflow, "github-workflow-schema"),
    "broken alert rule (promtool)": (_broken_alert_rule, "promtool"),
    "planted secret (secret scan)": (_planted_secret, "secrets"),
    "lint error (ruff)": (_ruff_violation, "ruff"),
    "broken yaml (yamllint)": (_bad_yaml, "yamllint"),
}


@pytest.fixture()
def restored(project: Path) -> Iterator[Path]:
    run(["git", "init", "-q"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "clean",
         "--allow-empty"], cwd=project)
    yield project
    run(["git", "checkout", "-q", "--", "."], cwd=project)
    run(["git", "clean", "-qfd", "-e", ".venv", "-e", "data"], cwd=project)


@pytest.mark.parametrize(("defect", "check"), DEFECTS.values(), ids=DEFECTS.keys())
def test_make_check_catches(restored: Path, defect: Callable[[Path], None], check: str) -> None:
    if check == "promtool":
        require("promtool")
    clean = subprocess.run(["make", "check", f"ONLY={check}"], cwd=restored,
                           capture_output=True, text=True, check=False)
    assert clean.returncode == 0, f"{check} fails on the clean project:\n{clean.stderr[-3000:]}"
    defect(restored)
    broken = subprocess.run(["make", "check", f"ONLY={check}"], cwd=restored,
                            capture_output=True, text=True, check=False)
    assert broken.returncode != 0, f"{check} did not catch the defect:\n{broken.stdout}"
    assert f"failed: {check}" in broken.stderr
