"""What a user gets: the built wheel in a fresh venv without the dev extras.

The venv is made with `python -m venv` and `pip install <wheel>` (as the README says), and
every command runs with a PATH holding only that venv's bin and /usr/bin:/bin, so nothing
of this checkout or its dev venv (uv, allpairspy, ...) can stand in for a missing dependency.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aiarch_scaffold import releases
from aiarch_scaffold.matrix import FORMATS, STRATEGIES
from tests.conftest import REPO_ROOT
from tests.tools import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

SYSTEM_PATH = "/usr/bin:/bin"
GIT_IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@e"]


@dataclass(frozen=True)
class Installed:
    venv: Path
    aiarch: str
    env: dict[str, str]


# What points at this checkout or its dev venv; the machine's own settings (CA bundles, pip
# config, HOME, the shared UV_CACHE_DIR) are the user's too and stay.
OURS = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "UV_PROJECT_ENVIRONMENT")


def user_env(path: str) -> dict[str, str]:
    """A user's shell on this machine with ``path`` as PATH and nothing else of ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in OURS and not key.startswith(("PYTEST", "_AIARCH", "AIARCH"))
    }
    env["PATH"] = path
    env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "aiarch-uv"))
    return env


def user_run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """Run as the user would; fail with the output tail; never a traceback on stderr."""
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{shlex.join(args)} exited {result.returncode}:\n{output}"
    assert "Traceback" not in result.stderr, output
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "dist")], cwd=REPO_ROOT)
    wheel = next((tmp / "dist").glob("aiarch_scaffold-*.whl"))
    venv = tmp / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    env = user_env(f"{venv / 'bin'}:{SYSTEM_PATH}")
    user_run([base_python, "-m", "venv", str(venv)], cwd=tmp, env=env)
    user_run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp, env)
    # Without the dev extras: no pytest, no build in the user's venv.
    for dev_only in ("pytest", "build"):
        probe = subprocess.run(
            [str(venv / "bin" / "python"), "-c", f"import {dev_only}"],
            capture_output=True,
            check=False,
        )
        assert probe.returncode != 0, f"{dev_only} must not be installed in the user's venv"
    yield Installed(venv, "aiarch", env)


def next_steps(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = lines.index("Next steps:") + 1
    return [line.strip() for line in lines[start:] if line.startswith("  ")]


ALL_PINS = (
    "cloud=local",
    "processing=pandas",
    "orchestration=none",
    "streaming=none",
    "feature_store=none",
)


def test_version_options_and_every_matrix(installed: Installed, tmp_path: Path) -> None:
    aiarch, env = installed.aiarch, installed.env
    version = user_run([aiarch, "--version"], tmp_path, env).stdout
    assert version.startswith("aiarch-scaffold ")
    table = user_run([aiarch, "options"], tmp_path, {**env, "COLUMNS": "200"}).stdout
    assert "customer_churn_platform (from project_name)" in table
    assert "{{" not in table
    options = json.loads(user_run([aiarch, "options", "--json"], tmp_path, env).stdout)
    slug = next(option for option in options if option["name"] == "project_slug")
    assert (slug["default"], slug["derived_from"]) == ("customer_churn_platform", ["project_name"])
    # Every strategy once, every format once: formatting never depends on the strategy, and
    # each pairwise computation is seconds of a CI run.
    for strategy in STRATEGIES:
        # `all` over every question is far beyond its size guard: pin the cloud and the data
        # platform's questions to their defaults.
        pins = [f"-i{pin}" for pin in ALL_PINS] if strategy == "all" else []
        out = user_run([aiarch, "matrix", "-s", strategy, "-f", "json", *pins], tmp_path, env)
        assert json.loads(out.stdout), strategy
    for fmt in FORMATS:
        out = user_run([aiarch, "matrix", "-s", "each", "-f", fmt], tmp_path, env)
        assert out.stdout.strip(), fmt


def test_new_then_exactly_the_printed_next_steps(installed: Installed, tmp_path: Path) -> None:
    aiarch, env = installed.aiarch, installed.env
    created = user_run([aiarch, "new", "proj", "--defaults"], tmp_path, env).stdout
    project = tmp_path / "proj"
    answers = (project / ".copier-answers.yml").read_text()
    assert "project_slug: customer_churn_platform" in answers
    # The template came from the wheel, not from this checkout.
    assert str(REPO_ROOT) not in answers
    assert "_src_path: https://" in answers

    steps = next_steps(created)
    assert steps[:2] == ["cd proj", "git init && make install && make pipeline && make test"]
    # `make serve` runs until stopped: every step before it, verbatim, in one shell.
    script = "set -e\n" + "\n".join(step for step in steps if not step.startswith("make serve"))
    user_run(["bash", "-c", script], tmp_path, env)
    assert (project / ".venv").is_dir()

    # Offline update from the wheel's own template history: git may use local transports only.
    for args in (["add", "-A"], [*GIT_IDENTITY, "commit", "-qm", "generated"]):
        user_run(["git", *args], project, env)
    offline = {**env, "GIT_ALLOW_PROTOCOL": "file", "HTTPS_PROXY": "http://127.0.0.1:9"}
    # The installed kit audits what it made (top marks: uv.lock is committed now) and exports
    # its Backstage template from the copier.yml the wheel carries.
    user_run([aiarch, "audit", ".", "--fail-under", "100"], project, offline)
    user_run([aiarch, "export", "backstage", str(tmp_path / "portal")], project, offline)
    assert (tmp_path / "portal" / "template.yaml").is_file()
    result = user_run([aiarch, "update", "--defaults"], project, offline)
    assert "Nothing changes." in result.stdout
    pretend = user_run([aiarch, "update", "--defaults", "--pretend"], project, offline)
    assert "Would update" in pretend.stdout
    # Versions resolve through the release record the wheel carries.
    unknown = subprocess.run(
        [aiarch, "update", "--defaults", "--to", "9.9.9"],
        cwd=project,
        env=offline,
        capture_output=True,
        text=True,
        check=False,
    )
    known = ", ".join(str(r.version) for r in releases.load(REPO_ROOT / releases.RECORD_FILE))
    assert (unknown.returncode, unknown.stderr) == (
        2,
        f"Error: unknown version '9.9.9'; released versions: {known}\n",
    )


def test_kit_uv_is_named_when_the_venv_is_not_activated(
    installed: Installed, tmp_path: Path
) -> None:
    """The venv's bin is not on PATH: the steps export UV, and `make install` finds it."""
    env = user_env(SYSTEM_PATH)
    aiarch = str(installed.venv / "bin" / "aiarch")
    created = user_run([aiarch, "new", "proj", "--defaults"], tmp_path, env).stdout
    steps = next_steps(created)
    uv = installed.venv / "bin" / "uv"
    assert steps[1] == f"export UV={uv}   # the kit's uv; not on PATH"
    assert steps[2] == "git init && make install && make pipeline && make test"
    # The printed steps up to `make install` (the rest is the test above).
    user_run(
        ["bash", "-c", f"set -e\n{steps[0]}\n{steps[1]}\ngit init -q && make install"],
        tmp_path,
        env,
    )
    assert (tmp_path / "proj" / ".venv").is_dir()
    assert (tmp_path / "proj" / "uv.lock").is_file()


def test_add_service_from_the_wheel_then_update(installed: Installed, tmp_path: Path) -> None:
    """The wheel carries the service component and the includes it shares with the template."""
    aiarch, env = installed.aiarch, {**installed.env, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    user_run([aiarch, "new", "proj", "--defaults"], tmp_path, env)
    project = tmp_path / "proj"
    user_run(["git", "init", "-q"], project, env)
    for args in (["add", "-A"], [*GIT_IDENTITY, "commit", "-qm", "generated"]):
        user_run(["git", *args], project, env)
    added = user_run([aiarch, "add", "service", "orders", "--kind", "api"], project, env).stdout
    assert "Updated: pyproject.toml, Makefile" in added
    assert str(REPO_ROOT) not in (project / ".copier-answers.service-orders.yml").read_text()
    user_run(["uv", "sync"], project, env)
    user_run(["uv", "run", "--no-sync", "pytest", "-q", "services/orders"], project, env)
    for args in (["add", "-A"], [*GIT_IDENTITY, "commit", "-qm", "orders"]):
        user_run(["git", *args], project, env)
    offline = {**env, "GIT_ALLOW_PROTOCOL": "file", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = user_run([aiarch, "update", "--defaults"], project, offline)
    assert "Nothing changes." in result.stdout


def test_shipped_presets_are_in_the_wheel(installed: Installed, tmp_path: Path) -> None:
    aiarch, env = installed.aiarch, installed.env
    listed = user_run([aiarch, "presets", "list"], tmp_path, env).stdout
    names = {line.split()[0] for line in listed.splitlines()}
    assert {"aws-enterprise", "gcp-startup", "azure-regulated", "local-lab"} <= names
    assert (
        "cloud: gcp" in user_run([aiarch, "presets", "show", "gcp-startup"], tmp_path, env).stdout
    )
