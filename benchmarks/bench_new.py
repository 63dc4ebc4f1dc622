"""Benchmark: `aiarch new --defaults` against plain `copier copy --defaults`, same template.

Both run as fresh processes from a venv where the kit is installed from its wheel, so the
template is the packaged plain folder for both (no git calls for either). Also times
`make install` + `make test` of the generated project with a cold and a warm uv cache.

    python benchmarks/bench_new.py [--runs 7] [--skip-project] [--out benchmarks/results/new.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def install_kit(work: Path) -> Path:
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    venv = work / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
    )
    return venv


def packaged_template(venv: Path) -> Path:
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from aiarch_scaffold.template_source import template_root; print(template_root())",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def bench_render(venv: Path, work: Path, runs: int) -> dict[str, object]:
    template = packaged_template(venv)
    aiarch = [str(venv / "bin" / "aiarch"), "new", "--defaults"]
    copier = [
        str(venv / "bin" / "copier"),
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        str(template),
    ]
    timings: dict[str, list[float]] = {"aiarch": [], "copier": []}
    for i in range(runs + 1):  # first round warms the OS file cache and is discarded
        for name, cmd in (("aiarch", aiarch), ("copier", copier)):
            dest = work / f"{name}-{i}"
            elapsed = sh([*cmd, str(dest)], cwd=work)
            shutil.rmtree(dest)
            if i:
                timings[name].append(elapsed)
    aiarch_median = statistics.median(timings["aiarch"])
    copier_median = statistics.median(timings["copier"])
    return {
        "runs": runs,
        "aiarch_new_median_s": round(aiarch_median, 3),
        "copier_copy_median_s": round(copier_median, 3),
        "overhead_pct": round(100 * (aiarch_median / copier_median - 1), 1),
        "aiarch_all_s": [round(t, 3) for t in timings["aiarch"]],
        "copier_all_s": [round(t, 3) for t in timings["copier"]],
    }


def bench_project(venv: Path, work: Path) -> dict[str, float]:
    results: dict[str, float] = {}
    cold_cache = work / "uv-cache-cold"
    for label, cache in (("cold", cold_cache), ("warm", cold_cache)):
        project = work / f"project-{label}"
        sh([str(venv / "bin" / "aiarch"), "new", str(project), "--defaults"], cwd=work)
        env = {**os.environ, "UV_CACHE_DIR": str(cache)}
        env.pop("VIRTUAL_ENV", None)
        results[f"make_install_{label}_s"] = round(sh(["make", "install"], project, env), 2)
        results[f"make_test_{label}_s"] = round(sh(["make", "test"], project, env), 2)
        results[f"install_plus_test_{label}_s"] = round(
            results[f"make_install_{label}_s"] + results[f"make_test_{label}_s"], 2
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-project", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "new.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiarch-bench-") as tmp:
        work = Path(tmp)
        venv = install_kit(work)
        report: dict[str, object] = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "render": bench_render(venv, work, args.runs),
        }
        if not args.skip_project:
            report["project"] = bench_project(venv, work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
