"""Benchmark: `aiarch add service` on a local project and on a cloud project.

On a cloud project the add renders the project again at its own version (copier's update, so
the infrastructure lists the service); a local project has nothing that renders from
`added_services`, so the difference is the cost of that re-render. Each run starts from a fresh
copy of the same committed project. Wall time and CPU time (user + system of the command and
its children: steadier than wall time on a shared machine) are both reported. `--python` picks
the interpreter whose installed kit is measured (default: this one), so two kit versions compare
on the same machine:

    python benchmarks/bench_add.py [--runs 3] [--python VENV/bin/python] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "local": [],
    "gcp-containers": ["-d", "cloud=gcp", "-d", "deploy_target=containers"],
}
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def aiarch(python: str, *args: str, cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `aiarch` command."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(
        [python, "-m", "aiarch_scaffold", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return time.perf_counter() - started, _children_cpu() - cpu


def committed_project(python: str, work: Path, name: str, answers: list[str]) -> Path:
    project = work / name
    aiarch(python, "new", str(project), "--defaults", *answers, cwd=work)
    subprocess.run([*GIT, "init", "-q"], cwd=project, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=project, check=True)
    subprocess.run([*GIT, "commit", "-qm", "generated"], cwd=project, check=True)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--kind", default="api", choices=["api", "batch-job", "consumer"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, object] = {
        "python": args.python,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpu",
        "runs": args.runs,
        "kind": args.kind,
        "seconds": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-add-") as tmp:
        work = Path(tmp)
        for variant, answers in VARIANTS.items():
            source = committed_project(args.python, work, f"src-{variant}", answers)
            times: list[tuple[float, float]] = []
            for run in range(args.runs):
                project = work / f"{variant}-{run}"
                shutil.copytree(source, project, symlinks=True)
                times.append(
                    aiarch(
                        args.python,
                        "add",
                        "service",
                        "order_sync",
                        "--kind",
                        args.kind,
                        "--path",
                        str(project),
                        cwd=work,
                    )
                )
            results["seconds"][variant] = {  # type: ignore[index]
                "wall_median": round(statistics.median(wall for wall, _ in times), 2),
                "cpu_median": round(statistics.median(cpu for _, cpu in times), 2),
                "wall": [round(wall, 2) for wall, _ in times],
                "cpu": [round(cpu, 2) for _, cpu in times],
            }
    text = json.dumps(results, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
