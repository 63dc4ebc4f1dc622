"""Benchmark: `make pipeline` of a generated project, per `ml_framework` x `use_case`.

Issue 11 asks that the default data size's lifecycle (ingest -> features -> train -> drift, and
the A/B experiment where it is on) finishes in under 90 s on 2 cores for every framework and use
case. The pairs come from copier.yml (the one list of options). Each project is rendered with
the other answers at their defaults, installed once (`make install`, warm uv cache, not timed),
then `make pipeline` runs `--runs` times in a fresh data folder; the median is reported with
`make test`'s time (one run).

    python benchmarks/bench_pipeline.py [--runs 3] [--skip-test] [-d ab_testing=true ...]
        [--out benchmarks/results/pipeline.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 90.0


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def pairs() -> list[tuple[str, str]]:
    questions = {question.name: question for question in load_questions()}
    frameworks = questions["ml_framework"].values
    use_cases = questions["use_case"].values
    return list(itertools.product(frameworks, use_cases))


def measure(
    framework: str, use_case: str, extra: dict[str, str], runs: int, with_test: bool, work: Path
) -> dict[str, object]:
    project = work / f"{framework}-{use_case}"
    answers = {"ml_framework": framework, "use_case": use_case, **extra}
    create_project(project, answers)
    timed(["git", "init", "-q"], project)
    install = timed(["make", "install"], project)
    seconds = []
    for _ in range(runs):
        shutil.rmtree(project / "data", ignore_errors=True)
        seconds.append(timed(["make", "pipeline"], project))
    test = timed(["make", "test"], project) if with_test else None
    shutil.rmtree(project, ignore_errors=True)
    return {
        "answers": answers,
        "install_s": round(install, 1),
        "pipeline_s": [round(value, 1) for value in seconds],
        "pipeline_median_s": round(statistics.median(seconds), 1),
        "test_s": round(test, 1) if test is not None else None,
    }


def table(results: list[dict[str, object]]) -> str:
    lines = [
        "| ml_framework | use_case | make pipeline (median) | under 90 s | make test |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for result in results:
        answers = result["answers"]
        median = float(result["pipeline_median_s"])
        test = f"{result['test_s']} s" if result["test_s"] is not None else "-"
        verdict = "yes" if median < GOAL_SECONDS else "**no**"
        lines.append(
            f"| {answers['ml_framework']} | {answers['use_case']} | {median} s | {verdict} "
            f"| {test} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-test", action="store_true", help="do not time make test")
    parser.add_argument("-d", "--data", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--only", nargs="*", default=[], metavar="FRAMEWORK:USE_CASE")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/pipeline.json")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.data)
    chosen = [pair for pair in pairs() if not args.only or ":".join(pair) in args.only]
    os.environ.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache/aiarch-uv"))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        work = Path(scratch)
        for framework, use_case in chosen:
            try:
                result = measure(framework, use_case, extra, args.runs, not args.skip_test, work)
            except UsageError as refused:  # copier.yml refuses the pair: say so, measure the rest
                print(f"{framework} x {use_case}: refused ({refused})", flush=True)
                continue
            print(json.dumps(result), flush=True)
            results.append(result)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": args.runs,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
