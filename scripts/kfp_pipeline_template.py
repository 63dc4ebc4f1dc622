"""Regenerate template/.../orchestration/pipeline.yaml.jinja (orchestration=kubeflow).

The generated project commits its compiled Kubeflow pipeline (`make kfp-compile`), and its tests
fail when the committed copy differs from a fresh compile. The template therefore ships that
compile: this script renders the kubeflow variant without and with ab_testing, compiles each
with the project's own `make kfp-compile`, and merges the two outputs into one Jinja file
(names and pins replaced by the answers and pins.jinja, KFP's own `{{$...}}` placeholders
escaped, the ab_testing lines in `{%- if ab_testing %}` blocks). processing=spark on Google Cloud,
AWS and Azure changes the features step (it submits the Serverless Spark batch, starts the Glue
job run, or submits the Azure Databricks run): those variants are compiled and merged the same
way, their lines in `{%- if spark_on_dataproc %}`, `{%- if spark_on_glue %}` and
`{%- if spark_on_databricks %}` blocks. Run it after changing the
pipeline code, then commit:

    python scripts/kfp_pipeline_template.py

KFP_PYTHON=<a python with the kfp and kfp-kubernetes of pins.jinja> compiles each rendered
project with that interpreter instead of installing it (`make install`).
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from aiarch_scaffold.generate import create_project  # noqa: E402

TARGET = (
    ROOT
    / "template"
    / "{% if orchestration == 'kubeflow' %}orchestration{% endif %}"
    / "pipeline.yaml.jinja"
)
ANSWERS = {"cloud": "aws", "deploy_target": "kubernetes", "orchestration": "kubeflow"}
# The variants whose features step differs: (condition, answers over ANSWERS), default first.
VARIANTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("", {}),
    ("spark_on_dataproc", {"cloud": "gcp", "processing": "spark"}),
    ("spark_on_glue", {"cloud": "aws", "processing": "spark"}),
    ("spark_on_databricks", {"cloud": "azure", "processing": "spark"}),
)
ORGANISATION, SLUG = "acme", "customer-churn-platform"
# Pins the compiled YAML holds (the lightweight components' image and packages), as pins.jinja
# writes them.
PINS = (
    (
        re.compile(r"python:[0-9.]+-slim[a-z-]*@sha256:[0-9a-f]{64}"),
        "{{ tool_versions.python_image }}",
    ),
    (re.compile(r"'botocore>=[0-9.]+'"), "'{{ python_deps['botocore'] }}'"),
    (
        re.compile(r"google-auth\[requests\]>=[0-9.]+"),
        "google-auth[requests]{{ python_deps['google-auth'][11:] }}",
    ),
)
HEADER = (
    '{%- from "template/includes/pins.jinja" import python_deps, tool_versions with context -%}\n'
    '{%- set dist_prefix = project_slug | replace("_", "-") -%}\n'
)


def compiled(folder: Path, answers: dict[str, object]) -> list[str]:
    folder.mkdir(parents=True)
    project = create_project(folder / "p", {**ANSWERS, **answers}).destination
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    kfp_python = os.environ.get("KFP_PYTHON")
    if kfp_python:
        env["PYTHONPATH"] = str(project / "orchestration" / "src")
        command = [kfp_python, "-m", "kfp_pipeline", "compile"]
        subprocess.run(command, cwd=project / "orchestration", env=env, check=True)
    else:
        for target in ("install", "kfp-compile"):
            subprocess.run(["make", target], cwd=project, env=env, check=True)
    return (project / "orchestration" / "pipeline.yaml").read_text().splitlines(keepends=True)


def to_jinja(line: str) -> str:
    line = line.replace("{{", "{{ '{{' }}")
    line = line.replace(f"{ORGANISATION}/{SLUG}", "{{ organisation }}/{{ dist_prefix }}")
    for pattern, jinja in PINS:
        line = pattern.sub(jinja, line)
    return line.replace(SLUG, "{{ dist_prefix }}")


def merge(without: list[str], with_: list[str], condition: str) -> list[str]:
    """One list of lines: those of both, and `{%- if condition %}` blocks where they differ."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=without, b=with_, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out += without[a0:a1]
            continue
        if b1 > b0:
            out.append(f"{{%- if {condition} %}}\n")
            out += with_[b0:b1]
        if a1 > a0:
            out.append("{%- else %}\n" if b1 > b0 else f"{{%- if not {condition} %}}\n")
            out += without[a0:a1]
        out.append("{%- endif %}\n")
    return out


def variant(folder: Path, answers: dict[str, object]) -> list[str]:
    """The Jinja lines of one variant, without and with ab_testing."""
    plain, with_ab = (
        [to_jinja(line) for line in compiled(folder / str(ab), {**answers, "ab_testing": ab})]
        for ab in (False, True)
    )
    return merge(plain, with_ab, "ab_testing")


def _at(ops: list[tuple[str, int, int, int, int]], a: int, start: bool) -> int:
    """The variant's line index at the base's line index ``a``, a boundary of a changed region:
    the first candidate for its start, the last for its end (an insertion there is inside)."""
    found = [b0 + a - a0 for tag, a0, a1, b0, _ in ops if tag == "equal" and a0 <= a <= a1]
    found += [b0 for tag, a0, _, b0, _ in ops if tag != "equal" and a0 == a]
    found += [b1 for tag, _, a1, _, b1 in ops if tag != "equal" and a1 == a]
    return min(found) if start else max(found)


def merge_variants(base: list[str], variants: list[tuple[str, list[str]]]) -> list[str]:
    """The base's lines, and where a variant differs one `{%- if %}/{%- elif %}/{%- else %}`
    block per changed region of the base (regions that overlap or touch are one)."""
    ops = [
        difflib.SequenceMatcher(a=base, b=lines, autojunk=False).get_opcodes()
        for _, lines in variants
    ]
    regions: list[list[int]] = []
    for a0, a1 in sorted((o[1], o[2]) for each in ops for o in each if o[0] != "equal"):
        if regions and a0 <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], a1)
        else:
            regions.append([a0, a1])
    out: list[str] = []
    done = 0
    for a0, a1 in regions:
        out += base[done:a0]
        keyword = "if"
        for (condition, lines), each in zip(variants, ops, strict=True):
            changed = lines[_at(each, a0, start=True) : _at(each, a1, start=False)]
            if changed != base[a0:a1]:
                out += [f"{{%- {keyword} {condition} %}}\n", *changed]
                keyword = "elif"
        if a1 > a0:
            out += ["{%- else %}\n", *base[a0:a1]]
        out.append("{%- endif %}\n")
        done = a1
    return out + base[done:]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        lines = [
            (condition, variant(Path(folder) / str(index), answers))
            for index, (condition, answers) in enumerate(VARIANTS)
        ]
    merged = merge_variants(lines[0][1], lines[1:])
    TARGET.write_text(HEADER + "".join(merged))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
