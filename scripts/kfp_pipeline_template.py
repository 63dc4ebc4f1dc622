"""Regenerate template/.../orchestration/pipeline.yaml.jinja (orchestration=kubeflow).

The generated project commits its compiled Kubeflow pipeline (`make kfp-compile`), and its tests
fail when the committed copy differs from a fresh compile. The template therefore ships that
compile: this script renders the kubeflow variant without and with ab_testing, compiles each
with the project's own `make kfp-compile`, and merges the two outputs into one Jinja file
(names replaced by the answers, KFP's own `{{$...}}` placeholders escaped, the ab_testing lines
in `{%- if ab_testing %}` blocks). Run it after changing the pipeline code, then commit:

    python scripts/kfp_pipeline_template.py
"""

from __future__ import annotations

import difflib
import os
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
ORGANISATION, SLUG = "acme", "customer-churn-platform"


def compiled(folder: Path, ab_testing: bool) -> list[str]:
    folder.mkdir(parents=True)
    project = create_project(folder / "p", {**ANSWERS, "ab_testing": ab_testing}).destination
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    for target in ("install", "kfp-compile"):
        subprocess.run(["make", target], cwd=project, env=env, check=True)
    return (project / "orchestration" / "pipeline.yaml").read_text().splitlines(keepends=True)


def to_jinja(line: str) -> str:
    line = line.replace("{{", "{{ '{{' }}")
    line = line.replace(f"{ORGANISATION}/{SLUG}", "{{ organisation }}/{{ dist_prefix }}")
    return line.replace(SLUG, "{{ dist_prefix }}")


def merge(plain: list[str], with_ab: list[str]) -> str:
    out = ['{%- set dist_prefix = project_slug | replace("_", "-") -%}\n']
    matcher = difflib.SequenceMatcher(a=plain, b=with_ab, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out += [to_jinja(line) for line in plain[a0:a1]]
            continue
        if b1 > b0:
            out.append("{%- if ab_testing %}\n")
            out += [to_jinja(line) for line in with_ab[b0:b1]]
        if a1 > a0:
            out.append("{%- else %}\n" if b1 > b0 else "{%- if not ab_testing %}\n")
            out += [to_jinja(line) for line in plain[a0:a1]]
        out.append("{%- endif %}\n")
    return "".join(out)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        plain = compiled(Path(folder) / "plain", ab_testing=False)
        with_ab = compiled(Path(folder) / "ab", ab_testing=True)
    TARGET.write_text(merge(plain, with_ab))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
