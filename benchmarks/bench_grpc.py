"""Benchmark: the gRPC API (api_style=grpc) against the REST API (api_style=rest), same model.

Generates one project per style with the same answers and seed (APP_SEED), runs `make install`
and `make pipeline` in each (same synthetic data, same champion model), starts both `serve`
commands side by side with the same number of worker processes (`--workers`, APP_WORKERS; rate
limit off, a real API key), waits until every worker of each has loaded the model (their
/metrics says `model_loaded_workers` = workers), then drives them in interleaved rounds:
batch 1 x concurrency 8, a fixed number of seconds per round. The gRPC load generator opens
one channel per concurrent caller, so its connections spread over the workers as the REST
client's do. The load generator is one asyncio process (grpc.aio / httpx.AsyncClient,
run in the gRPC project's environment, which has both clients); it reports requests/s, p50,
p99 and errors per style. Goal (issue 13): gRPC at least as fast as REST at batch 1.

    python benchmarks/bench_grpc.py [--workers 2] [--rounds 3] [--seconds 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

LOADGEN = r"""
import asyncio, json, statistics, sys, time

import grpc
import httpx

from contracts.proto.churn.serving.v1 import prediction_pb2 as pb
from contracts.proto.churn.serving.v1 import prediction_pb2_grpc as pb_grpc

style, target, key = sys.argv[1:4]
seconds, concurrency = float(sys.argv[4]), int(sys.argv[5])
INSTANCE = {"customer_id": "c-42", "tenure_months": 3, "monthly_spend": 12.5,
            "engagement_score": 0.05, "support_tickets": 9, "channel": "web", "region": "north"}


async def run() -> dict:
    latencies, errors = [], 0
    stop = time.perf_counter() + seconds
    if style == "grpc":
        # One channel (one connection) per caller: the kernel spreads connections, not calls,
        # over the server's worker processes, as it does for the REST client's connections.
        channels = [grpc.aio.insecure_channel(target) for _ in range(concurrency)]
        stubs = [pb_grpc.PredictionServiceStub(channel) for channel in channels]
        message = pb.PredictionRequest(instances=[pb.PredictionInstance(**INSTANCE)])
        metadata = (("x-api-key", key),)

        async def call(index: int) -> bool:
            try:
                reply = await stubs[index].Predict(message, metadata=metadata, timeout=10)
                return len(reply.predictions) == 1
            except grpc.RpcError:
                return False
    else:
        client = httpx.AsyncClient(base_url=f"http://{target}", headers={"X-API-Key": key},
                                   limits=httpx.Limits(max_connections=concurrency))
        body = {"instances": [INSTANCE]}

        async def call(index: int) -> bool:
            try:
                response = await client.post("/v1/predict", json=body, timeout=10)
                return response.status_code == 200
            except httpx.HTTPError:
                return False

    async def worker(index: int) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            ok = await call(index)
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    elapsed = time.perf_counter() - started
    if style == "grpc":
        for channel in channels:
            await channel.close()
    else:
        await client.aclose()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "latencies_ms": [round(value * 1000, 3) for value in latencies],
    }


print(json.dumps(asyncio.run(run())))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate(parent: Path, style: str) -> Path:
    from aiarch_scaffold.generate import create_project

    answers = {"api_style": style}
    project = create_project(parent / style, answers).destination
    env = {**os.environ, "APP_SEED": "42"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    for target in ("install", "pipeline"):
        subprocess.run(["make", target], cwd=project, env=env, check=True, capture_output=True)
    return project


def start(
    project: Path, port: int, metrics_port: int, key: str, workers: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_API_KEY": key,
        "APP_PORT": str(port),
        "APP_METRICS_PORT": str(metrics_port),
        "APP_WORKERS": str(workers),
        "APP_RATE_LIMIT_PER_SECOND": "0",
        "APP_MODEL_POLL_SECONDS": "0",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.Popen(
        ["uv", "run", "--no-sync", "serve", "--log-level", "warning"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def loaded_workers(metrics_port: int) -> float:
    """``model_loaded_workers`` from the server's /metrics (0 while it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as reply:
            text = reply.read().decode()
    except OSError:
        return 0
    match = re.search(r"^model_loaded_workers (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0


def wait_ready(
    server: subprocess.Popen[bytes],
    style: str,
    metrics_port: int,
    workers: int,
    timeout: float = 180,
) -> float:
    """Seconds until every worker process has loaded the model."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"{style} server exited with {server.returncode}")
        if loaded_workers(metrics_port) == workers:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"{style} server: not every worker ready after {timeout} s")


def load(client_project: Path, style: str, target: str, key: str, seconds: float) -> dict[str, Any]:
    script = client_project / ".bench_loadgen.py"
    script.write_text(LOADGEN, encoding="utf-8")
    out = subprocess.run(
        ["uv", "run", "--no-sync", "python", str(script), style, target, key, str(seconds), "8"],
        cwd=client_project,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summarise(runs: list[dict[str, Any]]) -> dict[str, float]:
    latencies = [value for run in runs for value in run["latencies_ms"]]
    requests = sum(run["requests"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    return {
        "requests": requests,
        "errors": sum(run["errors"] for run in runs),
        "requests_per_second": round(requests / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="APP_WORKERS of both servers")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per style")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per round")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args(argv)
    os.environ.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "aiarch-uv"))
    work = Path(tempfile.mkdtemp(prefix="bench-grpc-"))
    key = secrets.token_urlsafe(32)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        projects = {style: generate(work, style) for style in ("grpc", "rest")}
        client = projects["grpc"]  # has grpcio and httpx: one load generator for both
        ports = {style: (free_port(), free_port()) for style in projects}
        targets = {style: f"127.0.0.1:{port}" for style, (port, _) in ports.items()}
        ready: dict[str, float] = {}
        for style, project in projects.items():
            port, metrics_port = ports[style]
            server = start(project, port, metrics_port, key, args.workers)
            servers.append(server)
            ready[style] = round(wait_ready(server, style, metrics_port, args.workers), 1)
        # Warm-up, then interleaved rounds so drift in the machine's load hits both alike.
        for style in projects:
            load(client, style, targets[style], key, 2)
        runs: dict[str, list[dict[str, Any]]] = {style: [] for style in projects}
        for _ in range(args.rounds):
            for style in projects:
                runs[style].append(load(client, style, targets[style], key, args.seconds))
        results = {style: summarise(style_runs) for style, style_runs in runs.items()}
        ratio = results["grpc"]["requests_per_second"] / results["rest"]["requests_per_second"]
        report = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "workers": args.workers,
            "load": {
                "batch": 1,
                "concurrency": 8,
                "rounds": args.rounds,
                "seconds_per_round": args.seconds,
            },
            "ready_seconds": ready,
            "results": results,
            "grpc_over_rest_requests_per_second": round(ratio, 2),
            "goal_met": ratio >= 1 and results["grpc"]["errors"] == 0,
        }
        header = ("style", "req/s", "p50 ms", "p99 ms", "errors", "requests")
        print("{:<6} {:>8} {:>8} {:>8} {:>7} {:>9}".format(*header))
        for style, row in results.items():
            print(
                f"{style:<6} {row['requests_per_second']:>8} {row['p50_ms']:>8} "
                f"{row['p99_ms']:>8} {row['errors']:>7} {row['requests']:>9}"
            )
        print(f"gRPC / REST requests/s: {ratio:.2f} (goal >= 1)")
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return 0
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
