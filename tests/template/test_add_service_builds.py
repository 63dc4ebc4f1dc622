"""Services added with `aiarch add service` pass the project's `make check` and `make test`.

One service of every kind (read from the component's copier.yml) goes into a default project
and into an AWS/Terraform/Kubernetes/GitHub project, whose manifests `make check` validates
(kustomize build, schemas, pod hardening, default deny, checkov).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from aiarch_scaffold import components
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from tests.template.rendered import assert_clean_output
from tests.tools import REQUIRED, require, run

pytestmark = [pytest.mark.slow]

VARIANTS = {
    "default": {},
    "aws-k8s": {"cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes", "ci": "github"},
}
NAMES = {"batch-job": "nightly_export", "api": "scores_api", "consumer": "order_events"}


def commit_all(repo: Path, message: str) -> None:
    for args in (
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", message],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.mark.parametrize(
    "variant",
    [pytest.param(name, marks=pytest.mark.xdist_group(f"add-{name}")) for name in VARIANTS],
)
def test_added_services_pass_check_and_test(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch, committed_template: Path
) -> None:
    require("uv")
    require("make")
    monkeypatch.setenv("AIARCH_COMPONENT_CACHE", str(tmp_path / "cache"))
    source = TemplateSource(committed_template, vcs_ref="HEAD")
    project = create_project(tmp_path / "p", VARIANTS[variant], source=source).destination
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    commit_all(project, "generated")
    for kind in components.service_kinds():
        added = components.add_service(project, NAMES[kind], kind)
        assert added.unwired == []
        commit_all(project, f"add {kind}")
    assert_clean_output(project)
    k8s = project / "deploy" / "kubernetes" / "base" / "services"
    if variant == "aws-k8s":
        assert sorted(p.name for p in k8s.iterdir()) == sorted(f"{n}.yaml" for n in NAMES.values())
        infra = (project / "infra/terraform/envs/dev/main.tf").read_text()
        assert all(f'"{name.replace("_", "-")}"' in infra for name in NAMES.values())
    else:
        assert not k8s.exists()
    env = {"CHECK_REQUIRE_ALL": "1"} if REQUIRED else {}
    run(["uv", "sync"], cwd=project)
    run(["make", "check"], cwd=project, env={**env, "PATH": os.environ["PATH"]})
    result = run(["make", "test"], cwd=project)
    for name in NAMES.values():
        assert f"services/{name}/tests/test_{name}_service.py" in result.stdout
