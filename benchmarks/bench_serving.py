"""Benchmark: the generated project's prediction API against `mlflow models serve`.

Generates the default project (or reuses one with --project), runs `make install` and
`make pipeline`, then serves the same champion model version with both servers, on the same
machine, at the same time (one idles while the other is measured), in interleaved rounds:

- batch 1 x concurrency 8 and batch 100 x concurrency 4, keep-alive connections;
- per scenario and server: requests/s, rows/s, p50 and p99 latency, server CPU time per
  request (the whole process tree, from /proc), RSS of the tree, errors;
- start-to-ready: process start until the readiness endpoint answers 200 (median of --starts).

Both get the same raw customers; mlflow's pyfunc needs the derived features computed by the
client (its signature has them), our API computes them itself. Our API runs as shipped:
API key checked, size limits, metrics, rate limit off (one client would hit it), workers =
CPUs. mlflow runs with its defaults (`--env-manager local`, its own worker default).

    python benchmarks/bench_serving.py [--project DIR] [--rounds 3] [--seconds 10]
        [--out benchmarks/results/serving.json]

Linux only (reads /proc). Needs uv and make.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
API_KEY = "bench-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
SCENARIOS = ((1, 8), (100, 4))  # (batch, concurrency)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

ROWS_SCRIPT = """
import json, sys
import pandas as pd
from contracts import FEATURE_COLUMNS, Settings, add_derived_features, latest_partition
from contracts.features import RAW_NUMERIC, CATEGORICAL_FEATURES
settings = Settings()
frame = pd.read_parquet(latest_partition(settings.features_dir) / "features.parquet")
frame = frame.head(int(sys.argv[1]))
raw = [
    {"customer_id": str(row["customer_id"]),
     **{name: (int(row[name]) if name in ("tenure_months", "support_tickets") else float(row[name]))
        for name in RAW_NUMERIC},
     **{name: str(row[name]) for name in CATEGORICAL_FEATURES}}
    for _, row in frame.iterrows()
]
derived = add_derived_features(pd.DataFrame(raw).drop(columns="customer_id"))
derived = derived.loc[:, list(FEATURE_COLUMNS)]
mlflow_rows = [[row[name].item() if hasattr(row[name], "item") else row[name]
                for name in FEATURE_COLUMNS] for _, row in derived.iterrows()]
print(json.dumps({"raw": raw, "columns": list(FEATURE_COLUMNS), "mlflow": mlflow_rows}))
"""


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    predict_path: str
    headers: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    start_to_ready: list[float] = field(default_factory=list)

    def body(self, rows: dict[str, list], batch: int) -> bytes:
        if self.name == "mlflow":
            data = rows["mlflow"][:batch]
            return json.dumps(
                {"dataframe_split": {"columns": rows["columns"], "data": data}}
            ).encode()
        return json.dumps({"instances": rows["raw"][:batch]}).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], cwd: Path) -> None:
    print("$", " ".join(args), f"(in {cwd})", flush=True)
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total / 1024


def request(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start(server: Server, project: Path, timeout: float = 180) -> float:
    log = (project / f"bench-{server.name}.log").open("ab")
    started = time.perf_counter()
    server.process = subprocess.Popen(
        server.command, cwd=project, env=server.env, stdout=log, stderr=log
    )
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {log.name}")
        try:
            if request(server.port, "GET", server.ready_path, None, server.headers) == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{server.name} not ready after {timeout} s")
        time.sleep(0.02)


def stop(server: Server) -> None:
    if server.process is not None:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
        server.process = None


def load(server: Server, body: bytes, concurrency: int, seconds: float) -> dict[str, float]:
    """``concurrency`` keep-alive clients posting ``body`` for ``seconds``."""
    assert server.process is not None
    headers = {**server.headers, "Content-Type": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    stop_at = [0.0]
    barrier = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                connection.request("POST", server.predict_path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            if ok:
                latencies[index].append(time.perf_counter() - began)
            else:
                errors[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = cpu_seconds(server.process.pid)
    began = time.perf_counter()
    stop_at[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(server.process.pid) - cpu_before
    done = sorted(value for values in latencies for value in values)
    count = len(done)
    return {
        "requests": count,
        "errors": sum(errors),
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "p50_ms": 1000 * done[count // 2] if count else float("nan"),
        "p99_ms": 1000 * done[min(count - 1, int(count * 0.99))] if count else float("nan"),
    }


def summarise(rounds: list[dict[str, float]], batch: int) -> dict[str, float]:
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "requests": requests,
        "errors": sum(r["errors"] for r in rounds),
        "req_per_s": requests / seconds,
        "rows_per_s": requests * batch / seconds,
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "cpu_ms_per_request": 1000 * sum(r["cpu_seconds"] for r in rounds) / max(requests, 1),
    }


def prepare(project: Path | None, work: Path) -> Path:
    if project is not None:
        return project
    project = work / "bench-project"
    run([sys.executable, "-m", "aiarch_scaffold", "new", str(project), "--defaults"], REPO)
    run(["git", "init", "-q"], project)
    run(["make", "install"], project)
    run(["make", "pipeline"], project)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="an existing generated project (trained)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/serving.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch:
        project = prepare(args.project, Path(scratch)).resolve()
        python = str(project / ".venv/bin/python")
        rows = json.loads(
            subprocess.run(
                [python, "-c", ROWS_SCRIPT, "100"],
                cwd=project,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        base_env = {
            **os.environ,
            # As `uv run` has it: mlflow starts `uvicorn` from PATH.
            "PATH": f"{project / '.venv/bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        ours_port, mlflow_port = free_port(), free_port()
        tracking_uri = f"sqlite:///{project}/data/mlflow/mlflow.db"
        ours = Server(
            name="ours",
            command=[str(project / ".venv/bin/serve"), "--port", str(ours_port)],
            env={
                **base_env,
                "APP_ENVIRONMENT": "production",
                "APP_API_KEY": API_KEY,
                "APP_RATE_LIMIT_PER_SECOND": "0",
                "APP_METRICS_PORT": str(free_port()),
                "APP_MODEL_POLL_SECONDS": "0",
            },
            port=ours_port,
            ready_path="/readyz",
            predict_path="/v1/predict",
            headers={"X-API-Key": API_KEY},
        )
        mlflow = Server(
            name="mlflow",
            command=[
                str(project / ".venv/bin/mlflow"),
                "models",
                "serve",
                "-m",
                "models:/churn-classifier@champion",
                "--env-manager",
                "local",
                "--host",
                "127.0.0.1",
                "-p",
                str(mlflow_port),
            ],
            # mlflow refuses to load a skops model unless deserialisation is allowed (its
            # skops loader trusts the types the artifact lists); our API never needs this.
            env={
                **base_env,
                "MLFLOW_TRACKING_URI": tracking_uri,
                "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
            },
            port=mlflow_port,
            ready_path="/ping",
            predict_path="/invocations",
            headers={},
        )
        servers = (ours, mlflow)
        try:
            for _ in range(args.starts):
                for server in servers:
                    server.start_to_ready.append(start(server, project))
                    stop(server)
            for server in servers:
                start(server, project)
            results: dict[str, dict[str, list[dict[str, float]]]] = {
                s.name: {f"{b}x{c}": [] for b, c in SCENARIOS} for s in servers
            }
            for number in range(args.rounds):
                for batch, concurrency in SCENARIOS:
                    order = servers if number % 2 == 0 else servers[::-1]
                    for server in order:
                        body = server.body(rows, batch)
                        load(server, body, concurrency, 1.0)  # warm-up, not counted
                        measured = load(server, body, concurrency, args.seconds)
                        results[server.name][f"{batch}x{concurrency}"].append(measured)
                        print(server.name, f"batch {batch} x {concurrency}", measured, flush=True)
            rss = {server.name: rss_mb(server.process.pid) for server in servers}  # type: ignore[union-attr]
        finally:
            for server in servers:
                stop(server)

    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "commands": {server.name: " ".join(server.command) for server in servers},
        "start_to_ready_s": {
            server.name: statistics.median(server.start_to_ready) for server in servers
        },
        "rss_mb": rss,
        "scenarios": {
            scenario: {
                server.name: summarise(results[server.name][scenario], int(scenario.split("x")[0]))
                for server in servers
            }
            for scenario in results["ours"]
        },
        "rounds": results,
    }
    for by_server in report["scenarios"].values():
        ratio = by_server["ours"]["req_per_s"] / by_server["mlflow"]["req_per_s"]
        by_server["ratio_req_per_s"] = round(ratio, 2)  # type: ignore[assignment]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("start_to_ready_s", "rss_mb", "scenarios")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
