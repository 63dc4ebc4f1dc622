"""Each validator behind `make check` is really wired in: a planted defect makes it fail."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.tools import require, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("seeded-defects")]


CLOUD_VARIANT = {"cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes", "ci": "github"}


def _rendered(factory: pytest.TempPathFactory, answers: dict[str, str]) -> Path:
    require("uv")
    require("make")
    path = create_project(factory.mktemp("defects") / "p", answers).destination
    run(["uv", "sync"], cwd=path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _rendered(tmp_path_factory, {})


@pytest.fixture(scope="module")
def cloud_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _rendered(tmp_path_factory, CLOUD_VARIANT)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _root_container(p: Path) -> None:
    dockerfile = p / "services" / "serving" / "Dockerfile"
    text = dockerfile.read_text()
    user_lines = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines, "the Dockerfile should drop root"
    dockerfile.write_text(text.replace(user_lines[-1], "USER root"))


def _unpinned_action(p: Path) -> None:
    workflow = p / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text()
    line = next(line for line in text.splitlines() if "actions/checkout@" in line)
    workflow.write_text(text.replace(line, line.split("@")[0] + "@v4"))


def _invalid_workflow(p: Path) -> None:
    _edit(p / ".github" / "workflows" / "ci.yml", "runs-on:", "runs-onn:")


def _broken_alert_rule(p: Path) -> None:
    _edit(p / "services" / "monitoring" / "prometheus" / "alerts.yml", "expr:", "expr: sum(rate(")


def _planted_secret(p: Path) -> None:
    key = "AKIA" + "Q3EGRYVMDQ7XKP2Z"
    (p / "services" / "serving" / "src" / "serving" / "leak.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{key}"\n'
    )


def _ruff_violation(p: Path) -> None:
    (p / "services" / "serving" / "src" / "serving" / "sloppy.py").write_text("import os\n")


def _bad_yaml(p: Path) -> None:
    (p / "services" / "monitoring" / "prometheus" / "extra.yml").write_text("a: [1, 2\n")


def _shell_injection(p: Path) -> None:
    (p / "services" / "serving" / "src" / "serving" / "run.py").write_text(
        '"""Runs a command."""\n\nimport subprocess\n\n\n'
        "def run(command: str) -> int:\n"
        "    return subprocess.call(command, shell=True)\n"
    )


def _base_image_by_tag(p: Path) -> None:
    dockerfile = p / "services" / "serving" / "Dockerfile"
    text = dockerfile.read_text()
    line = next(line for line in text.splitlines() if line.startswith("FROM ") and "@" in line)
    dockerfile.write_text(text.replace(line, line.split("@")[0] + " AS builder", 1))


DEFECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "shell=True in production code (bandit)": (_shell_injection, "bandit"),
    "base image by tag only (image-digests)": (_base_image_by_tag, "image-digests"),
    "root container (hadolint)": (_root_container, "hadolint"),
    "root container (checkov)": (_root_container, "checkov"),
    "unpinned action (zizmor)": (_unpinned_action, "zizmor"),
    "invalid workflow (schema)": (_invalid_workflow, "github-workflow-schema"),
    "broken alert rule (promtool)": (_broken_alert_rule, "promtool"),
    "planted secret (secret scan)": (_planted_secret, "secrets"),
    "lint error (ruff)": (_ruff_violation, "ruff"),
    "broken yaml (yamllint)": (_bad_yaml, "yamllint"),
}


def _public_bucket(p: Path) -> None:
    _edit(
        p / "infra/terraform/modules/s3_bucket/main.tf",
        "block_public_acls       = true",
        "block_public_acls       = false",
    )


def _dangling_terraform_variable(p: Path) -> None:
    main = p / "infra/terraform/modules/s3_bucket/main.tf"
    main.write_text(main.read_text() + "\nlocals {\n  dangling = var.not_declared_anywhere\n}\n")


def _missing_network_policy(p: Path) -> None:
    policies = p / "deploy/kubernetes/base/networkpolicies.yaml"
    text = policies.read_text()
    head, _, rest = text.partition("kind: NetworkPolicy\nmetadata:\n  name: default-deny-all")
    assert rest, "the base should carry a default-deny policy"
    policies.write_text(head.rsplit("apiVersion:", 1)[0] + rest.split("---\n", 1)[1])


def _root_pod(p: Path) -> None:
    _edit(
        p / "deploy/kubernetes/base/jobs/features.yaml", "runAsNonRoot: true", "runAsNonRoot: false"
    )


def _unbounded_role_creation(p: Path) -> None:
    """The escalation of issue 10: CI may create roles and attach any policy, no boundary."""
    ci = p / "infra/terraform/modules/iam/ci.tf"
    _edit(
        ci,
        'data "aws_iam_policy_document" "ci" {\n',
        'data "aws_iam_policy_document" "ci" {\n'
        "  statement {\n"
        '    actions   = ["iam:CreateRole", "iam:AttachRolePolicy"]\n'
        "    resources = [local.project_roles]\n"
        "  }\n\n",
    )


def _wildcard_iam_grant(p: Path) -> None:
    ci = p / "infra/terraform/modules/iam/ci.tf"
    _edit(ci, 'actions   = ["iam:PassRole"]\n', 'actions   = ["iam:PassRole", "iam:*Role*"]\n')


def _unbounded_workload_role(p: Path) -> None:
    _edit(
        p / "infra/terraform/modules/network/main.tf",
        "  permissions_boundary = var.permissions_boundary_arn\n",
        "",
    )


def _deploy_role_trusts_pull_requests(p: Path) -> None:
    tfvars = p / "infra/terraform/envs/dev/terraform.tfvars"
    text = tfvars.read_text()
    line = next(line for line in text.splitlines() if line.startswith("ci_oidc_subjects "))
    repository = line.split('"')[1].split(":")[1]
    tfvars.write_text(text.replace(line, line.replace("]", f', "repo:{repository}:pull_request"]')))


def _shared_lake_volume(p: Path) -> None:
    _edit(
        p / "deploy/kubernetes/base/jobs/features.yaml",
        """            - name: tmp
              emptyDir:""",
        """            - name: lake
              persistentVolumeClaim:
                claimName: lake
            - name: tmp
              emptyDir:""",
    )


CLOUD_DEFECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "CI creates roles without the boundary (iam-escalation)": (
        _unbounded_role_creation,
        "iam-escalation",
    ),
    "wildcard IAM grant without the boundary (iam-escalation)": (
        _wildcard_iam_grant,
        "iam-escalation",
    ),
    "role without permissions boundary (iam-escalation)": (
        _unbounded_workload_role,
        "iam-escalation",
    ),
    "deploy role trusts pull requests (iam-escalation)": (
        _deploy_role_trusts_pull_requests,
        "iam-escalation",
    ),
    "public bucket (checkov)": (_public_bucket, "checkov"),
    "dangling terraform variable (terraform-refs)": (
        _dangling_terraform_variable,
        "terraform-refs",
    ),
    "missing default-deny NetworkPolicy (kubernetes)": (_missing_network_policy, "kubernetes"),
    "root pod (kubernetes)": (_root_pod, "kubernetes"),
    "batch job mounts a shared lake volume (kubernetes)": (_shared_lake_volume, "kubernetes"),
}


def _committed(project: Path) -> Iterator[Path]:
    run(["git", "init", "-q"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "clean",
            "--allow-empty",
        ],
        cwd=project,
    )
    yield project
    run(["git", "checkout", "-q", "--", "."], cwd=project)
    run(["git", "clean", "-qfd", "-e", ".venv", "-e", "data"], cwd=project)


@pytest.fixture()
def restored(project: Path) -> Iterator[Path]:
    yield from _committed(project)


@pytest.fixture()
def restored_cloud(cloud_project: Path) -> Iterator[Path]:
    yield from _committed(cloud_project)


def _assert_caught(project: Path, defect: Callable[[Path], None], check: str) -> None:
    if check == "promtool":
        require("promtool")
    if check == "kubernetes":
        require("kubectl")
    clean = subprocess.run(
        ["make", "check", f"ONLY={check}"], cwd=project, capture_output=True, text=True, check=False
    )
    assert clean.returncode == 0, f"{check} fails on the clean project:\n{clean.stderr[-3000:]}"
    defect(project)
    broken = subprocess.run(
        ["make", "check", f"ONLY={check}"], cwd=project, capture_output=True, text=True, check=False
    )
    assert broken.returncode != 0, f"{check} did not catch the defect:\n{broken.stdout}"
    assert f"failed: {check}" in broken.stderr


@pytest.mark.parametrize(("defect", "check"), DEFECTS.values(), ids=DEFECTS.keys())
def test_make_check_catches(restored: Path, defect: Callable[[Path], None], check: str) -> None:
    _assert_caught(restored, defect, check)


@pytest.mark.parametrize(("defect", "check"), CLOUD_DEFECTS.values(), ids=CLOUD_DEFECTS.keys())
def test_make_check_catches_in_the_cloud_variant(
    restored_cloud: Path, defect: Callable[[Path], None], check: str
) -> None:
    _assert_caught(restored_cloud, defect, check)
