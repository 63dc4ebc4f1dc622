"""Under the worst request mix an authenticated client can send, /healthz stays fast.

A real uvicorn server (in a subprocess) receives, concurrently, bodies
with 80,000 unknown keys, maximum-size prediction batches and anonymous junk, while a probe
measures /healthz. Before parsing moved off the event loop, four such requests delayed
/healthz by seconds.
"""

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

API_KEY = "test-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
MAX_BYTES = 512 * 1024
ATTACKERS = 4
HEALTH_BUDGET_SECONDS = 0.1


# The server runs in its own process, as in production, so the attacking client threads of
# this test do not compete with it for the GIL.
SERVER = """
import sys
from pathlib import Path
import uvicorn
from contracts import Settings
from serving.__main__ import tune_for_latency
from serving.app import create_app
from serving.model import ModelHandle, load_onnx

tune_for_latency()  # as `serve` does
model_path, port, api_key, max_bytes = sys.argv[1:5]
model = load_onnx(Path(model_path))
settings = Settings(
    environment="production",
    api_key=api_key,
    max_request_bytes=int(max_bytes),
    rate_limit_per_second=0,
    metrics_port=0,
)
app = create_app(settings, ModelHandle(name="churn-load", version="1", model=model))
uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="error")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path, onnx_model: bytes) -> Iterator[int]:
    model_path = tmp_path / "model.onnx"
    model_path.write_bytes(onnx_model)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(model_path), str(port), API_KEY, str(MAX_BYTES)],
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def _with_unknown_keys(instance, count: int) -> bytes:
    return json.dumps({"instances": [{**instance(), **{str(i): 1 for i in range(count)}}]}).encode()


def _bodies(instance) -> list[tuple[dict[str, str], bytes]]:
    auth = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    anonymous = {"Content-Type": "application/json"}
    # The reviewed attack (80,000 unknown keys) no longer fits the default limit; the most
    # unknown keys that do fit are the worst case now.
    reviewed = _with_unknown_keys(instance, 80_000)
    count = 80_000 * MAX_BYTES // len(reviewed)
    while len(bloated := _with_unknown_keys(instance, count)) > MAX_BYTES:
        count -= 500
    batch = json.dumps({"instances": [instance(customer_id=f"c-{i}") for i in range(1000)]})
    full_batch = (batch + " " * (MAX_BYTES - len(batch))).encode()
    invalid_batch = json.dumps(
        {"instances": [instance(tenure_months=-1, channel="fax")] * 1000}
    ).encode()
    assert max(len(bloated), len(full_batch), len(invalid_batch)) <= MAX_BYTES < len(reviewed)
    return [
        (auth, bloated),
        (auth, full_batch),
        (auth, invalid_batch),
        (auth, reviewed),
        (anonymous, bloated),
    ]


def _ms(latencies: list[float]) -> str:
    return " ".join(str(round(value * 1000)) for value in latencies)


def _probe(port: int, count: int = 40) -> list[float]:
    """Seconds /healthz took, ``count`` times, 50 ms apart, over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        assert response.status == 200
        time.sleep(0.05)
    return sorted(latencies)


def test_healthz_answers_within_100ms_under_the_worst_load(server: int, instance) -> None:
    bodies = _bodies(instance)
    stop = threading.Event()
    statuses: Counter[int] = Counter()

    def attack(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
        index = offset
        while not stop.is_set():
            headers, body = bodies[index % len(bodies)]
            index += 1
            connection.request("POST", "/v1/predict", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
            if response.getheader("connection") == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)

    baseline = _probe(server)
    attackers = [threading.Thread(target=attack, args=(n,), daemon=True) for n in range(ATTACKERS)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(0.5)  # let the attack get going
        latencies = _probe(server)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)

    # The attack really ran: every kind of body was answered while we probed.
    assert all(statuses[code] >= 1 for code in (200, 401, 413, 422)), statuses
    shown = f"baseline ms: {_ms(baseline)}; under attack ms: {_ms(latencies)}"
    print(shown)
    # Percentiles, not the maximum: a shared CI machine adds scheduler noise of its own (see the
    # baseline). Before the fix, every probe under this load took seconds.
    assert latencies[len(latencies) // 2] < HEALTH_BUDGET_SECONDS / 2, shown
    assert latencies[int(len(latencies) * 0.9)] < HEALTH_BUDGET_SECONDS, shown
