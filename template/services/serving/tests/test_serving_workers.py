"""``serve`` with several worker processes: each loads the champion, /metrics counts them all.

A real ``serve`` (uvicorn supervisor plus two workers) against a real SQLite registry. The
metrics endpoint runs in the supervisor, which answers no prediction itself: every count it
reports comes from the workers' files, and the totals must equal what the client sent.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from contracts import Settings

API_KEY = "test-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
REQUESTS = 40
BATCH = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"X-API-Key": API_KEY})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def served(registry_settings: Settings, registry, sk_model, tmp_path) -> Iterator[tuple[int, int]]:
    registry.promote(registry.register(sk_model))
    port, metrics_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "APP_DATA_DIR": str(registry_settings.data_dir),
        "APP_ENVIRONMENT": "test",
        "APP_API_KEY": API_KEY,
        "APP_MODEL_NAME": registry_settings.model_name,
        "APP_MODEL_POLL_SECONDS": "0",
        "APP_RATE_LIMIT_PER_SECOND": "0",
        "APP_METRICS_PORT": str(metrics_port),
        "APP_WORKERS": "2",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from serving.__main__ import main; main()", "--port", str(port)],
        cwd=tmp_path,
        env=env,
    )
    try:
        # Ready once both workers loaded the model: model_loaded is the least of the workers'.
        _wait_for(process, lambda: _metrics(metrics_port).get("model_loaded") == 1)
        _wait_for(process, lambda: _get(port, "/readyz")[0] == 200)
        yield port, metrics_port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _metrics(port: int) -> dict[str, float]:
    """Every sample of /metrics, by name and labels as written (``name{a="b"}``)."""
    try:
        status, text = _get(port, "/metrics")
    except OSError:
        return {}
    assert status == 200
    samples = re.findall(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in samples}


def _wait_for(process: subprocess.Popen[bytes], condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "serve exited"
        try:
            if condition():
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_metrics_add_up_every_worker(served: tuple[int, int], instance) -> None:
    port, metrics_port = served
    body = json.dumps({"instances": [instance(customer_id=f"c-{i}") for i in range(BATCH)]})
    versions = set()
    for _ in range(REQUESTS):
        # A new connection each time, so the kernel spreads them over the workers.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(
            "POST",
            "/v1/predict",
            body=body,
            headers={"X-API-Key": API_KEY, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        assert response.status == 200
        versions.add(json.loads(response.read())["model_version"])
        connection.close()
    assert versions == {"1"}

    predict = 'http_requests_total{method="POST",route="/v1/predict",status="200"}'
    # Each worker records a request just after answering it: allow the last ones to land.
    deadline = time.monotonic() + 10
    while (metrics := _metrics(metrics_port)).get(predict) != REQUESTS:
        assert time.monotonic() < deadline, metrics.get(predict)
        time.sleep(0.1)
    predicted = metrics.get('churn_predictions_total{churn="true"}', 0) + metrics.get(
        'churn_predictions_total{churn="false"}', 0
    )
    assert predicted == REQUESTS * BATCH
    assert metrics["churn_prediction_probability_count"] == REQUESTS * BATCH
    assert metrics["model_loaded"] == 1
    assert metrics["model_version"] == 1
    assert metrics['model_info{name="churn-registry-test",version="1"}'] == 1
