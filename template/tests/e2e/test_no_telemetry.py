"""No library of the services phones home: ONNX Runtime (1.32+) starts Microsoft's telemetry
when imported (a device id and a SQLite event store under ~/.cache/Microsoft, an upload thread).
Importing a service switches it off first; the control run shows what it does otherwise.
ONNX Runtime stays quiet when it sees a CI system, so both runs hide the CI markers it reads:
they test what happens on a developer's machine or in production, wherever they run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

STORE = Path(".cache") / "Microsoft"
# The variables ONNX Runtime 1.32 checks to skip telemetry on build machines.
CI_MARKERS = (
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "APPVEYOR",
    "BITBUCKET_BUILD_NUMBER",
)


def _import_in_fresh_home(home: Path, modules: str) -> str:
    hidden = {"ORT_DISABLE_TELEMETRY", *CI_MARKERS}
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    probe = f"import os, {modules}; print(os.environ.get('ORT_DISABLE_TELEMETRY'))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip()


def test_onnx_runtime_alone_starts_its_telemetry(tmp_path: Path) -> None:
    assert _import_in_fresh_home(tmp_path, "onnxruntime") == "None"
    assert (tmp_path / STORE).is_dir()


@pytest.mark.parametrize("service", ["serving", "training"])
def test_a_service_switches_it_off_before_onnx_runtime_loads(tmp_path: Path, service: str) -> None:
    assert _import_in_fresh_home(tmp_path, f"{service}, onnxruntime") == "1"
    assert not (tmp_path / STORE).exists()
