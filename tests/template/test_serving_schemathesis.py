"""Fuzz the generated prediction API with schemathesis: every response is documented, none is 5xx.

Renders the default project, runs its pipeline (so a champion exists), starts the real API
(`serve`, a uvicorn process) in production mode with a strong key, and runs schemathesis with
every check against the OpenAPI schema of the same app. Production serves no schema, so the
schema comes from the same code built in test mode.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serving-schemathesis")]

API_KEY = "schemathesis-key-0123456789-0123456789-abcdef"  # pragma: allowlist secret
# Cases per API operation (3 operations); schemathesis adds its coverage-phase cases on top.
MAX_EXAMPLES = int(os.environ.get("AIARCH_SCHEMATHESIS_EXAMPLES", "1000"))

SCHEMA_SCRIPT = """
import json
from contracts import Settings
from serving.app import create_app
print(json.dumps(create_app(Settings(environment="test")).openapi()))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited before it was ready"
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    pytest.fail(f"serve was not ready within {timeout:.0f} s")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("uv")
    require("make")
    destination = create_project(tmp_path_factory.mktemp("render") / "default").destination
    run(["make", "install"], cwd=destination)
    run(["make", "pipeline"], cwd=destination)
    return destination


@pytest.fixture(scope="module")
def api(project: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENVIRONMENT": "production",
        "APP_API_KEY": API_KEY,
        "APP_METRICS_PORT": "0",
        # High enough not to throttle the fuzzer; 429 is documented all the same.
        "APP_RATE_LIMIT_PER_SECOND": "10000",
        "APP_RATE_LIMIT_BURST": "10000",
        "APP_MODEL_POLL_SECONDS": "0",
    }
    env.pop("VIRTUAL_ENV", None)
    process = subprocess.Popen(
        ["uv", "run", "--no-sync", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        # A 500 would have been logged with its traceback; none may be.
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-4000:]


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    project: Path, api: str, tmp_path: Path
) -> None:
    schema = json.loads(
        run(["uv", "run", "--no-sync", "python", "-c", SCHEMA_SCRIPT], cwd=project).stdout
    )
    predict = schema["paths"]["/v1/predict"]["post"]["responses"]
    assert {"200", "401", "413", "415", "422", "429", "503"} <= set(predict)
    schema_path = tmp_path / "openapi.json"
    schema_path.write_text(json.dumps(schema))
    junit = tmp_path / "schemathesis.xml"

    st = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st),
            "run",
            str(schema_path),
            "--url",
            api,
            "--header",
            f"X-API-Key: {API_KEY}",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261129",
            "--workers",
            "2",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    # The run really happened: cases were generated for every operation.
    assert "Tested: 3" in output, output[-3000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= MAX_EXAMPLES, output[-3000:]
