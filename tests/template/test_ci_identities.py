"""Issue 10, finding 4: who can assume which CI identity, and what that identity may do.

Renders the AWS/Terraform variant for each CI provider and deploy target (from copier.yml),
parses the IAM code with python-hcl2 and asserts the attack paths are closed: a pull request
only reaches a read-only plan role; no deploy role trusts pull requests or every branch; every
grant that can create or empower a role requires the permissions boundary; and the project's
own `tools/iam_check.py` (behind `make check`) passes on the result and fails on the old policy.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

QUESTIONS = {question.name: question for question in load_questions()}
CIS = [str(choice) for choice in QUESTIONS["ci"].choices.values()]
TARGETS = [str(choice) for choice in QUESTIONS["deploy_target"].choices.values()]
ROLE_WRITES = (
    "iam:CreateRole",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
)
READ_ONLY_POLICY = "ReadOnlyAccess"


def _strip(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)  # type: ignore[no-any-return]


def _blocks(body: dict[str, Any], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in body.get(kind, []):
        for name_type, named in entry.items():
            if _strip(name_type) == type_name:
                found.update({_strip(name): block for name, block in named.items()})
    return found


@pytest.fixture(
    scope="module",
    params=[(ci, t) for ci in CIS for t in TARGETS],
    ids=[f"{ci}-{t}" for ci in CIS for t in TARGETS],
)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ci, target = request.param
    answers = {"cloud": "aws", "iac": "terraform", "deploy_target": target, "ci": ci}
    return create_project(tmp_path_factory.mktemp("ci") / "p", answers).destination


def _subjects(project: Path, env: str) -> tuple[list[str], list[str]]:
    tfvars = _load(project / f"infra/terraform/envs/{env}/terraform.tfvars")
    return (
        [str(s) for s in _strip(tfvars.get("ci_oidc_subjects", []))],
        [str(s) for s in _strip(tfvars.get("ci_plan_oidc_subjects", []))],
    )


def _pull_request_tokens(project: Path) -> list[str]:
    """sub claims a pull/merge request pipeline of this repository presents, per CI provider."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    slug = str(answers["project_slug"]).replace("_", "-")
    repo = f"{answers['organisation']}/{slug}"
    return [
        f"repo:{repo}:pull_request",
        f"project_path:{repo}:ref_type:branch:ref:feature-x",
        f"https://jenkins.example.com/job/{slug}/job/PR-7/",
    ]


def _admits(subjects: list[str], tokens: list[str]) -> list[str]:
    """Subjects an IAM StringLike condition would match for one of the tokens."""
    return [s for s in subjects if any(fnmatch.fnmatchcase(token, s) for token in tokens)]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_deploy_role_trusts_pull_requests_or_every_branch(project: Path, env: str) -> None:
    deploy, _ = _subjects(project, env)
    assert deploy, "the deploy role must trust some subject"
    assert not _admits(deploy, _pull_request_tokens(project)), deploy
    assert not [s for s in deploy if s.endswith(("/*", ":*"))], deploy


def test_only_the_read_only_plan_role_trusts_pull_requests(project: Path) -> None:
    _, plan = _subjects(project, "dev")
    assert plan and _admits(plan, _pull_request_tokens(project)) == plan, plan
    assert _subjects(project, "prod")[1] == [], "prod has no plan role"
    ci = _load(project / "infra/terraform/modules/iam/ci.tf")
    attachments = _blocks(ci, "resource", "aws_iam_role_policy_attachment")
    plan_policies = [
        str(_strip(a["policy_arn"])) for a in attachments.values() if "ci_plan" in str(a["role"])
    ]
    assert plan_policies and all(p.endswith(f"/{READ_ONLY_POLICY}") for p in plan_policies)
    document = _blocks(ci, "data", "aws_iam_policy_document")["ci_plan"]
    allowed = [s for s in document["statement"] if _strip(s.get("effect", "Allow")) == "Allow"]
    writes = {str(a) for s in allowed for a in _strip(s["actions"]) if a.startswith("s3:")}
    assert writes == {"s3:PutObject", "s3:DeleteObject"}
    lock_only = [r for s in allowed for r in _strip(s["resources"]) if "s3:::" in str(r)]
    assert lock_only and all(str(r).endswith(".tflock") for r in lock_only), lock_only
    assert not [a for s in allowed for a in _strip(s["actions"]) if str(a).startswith("iam:")]


def test_every_role_grant_requires_the_boundary(project: Path) -> None:
    ci = _load(project / "infra/terraform/modules/iam/ci.tf")
    document = _blocks(ci, "data", "aws_iam_policy_document")["ci"]
    for statement in document["statement"]:
        if _strip(statement.get("effect", "Allow")) == "Deny":
            continue
        granted = [
            a
            for a in ROLE_WRITES
            if any(fnmatch.fnmatchcase(a, str(p)) for p in _strip(statement["actions"]))
        ]
        if granted:
            variables = [_strip(c["variable"]) for c in statement.get("condition", [])]
            assert "iam:PermissionsBoundary" in variables, (_strip(statement.get("sid")), granted)
    denied = {
        str(a)
        for s in document["statement"]
        if _strip(s.get("effect")) == "Deny"
        for a in _strip(s["actions"])
    }
    assert {
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
    } <= denied


def test_every_role_carries_the_boundary(project: Path) -> None:
    for path in (project / "infra/terraform/modules").rglob("*.tf"):
        for name, role in _blocks(_load(path), "resource", "aws_iam_role").items():
            if str(_strip(role["name"])).endswith(("-ci", "-ci-plan")):
                continue
            assert "permissions_boundary" in role, f"{path.name}: aws_iam_role.{name}"


def _iam_check(project: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("iam_check", project / "tools/iam_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_iam_check_passes_and_catches_the_reported_escalation(project: Path) -> None:
    tool = _iam_check(project)
    assert tool.check([project / "infra/terraform"]) == []
    ci = project / "infra/terraform/modules/iam/ci.tf"
    text = ci.read_text()
    # The policy the review found: role management on the project prefix, no boundary.
    ci.write_text(
        text.replace(
            'data "aws_iam_policy_document" "ci" {\n',
            'data "aws_iam_policy_document" "ci" {\n  statement {\n'
            '    actions   = ["iam:CreateRole", "iam:AttachRolePolicy",'
            ' "iam:UpdateAssumeRolePolicy"]\n'
            "    resources = [local.project_roles]\n  }\n\n",
            1,
        )
    )
    try:
        problems = tool.check([project / "infra/terraform"])
    finally:
        ci.write_text(text)
    assert any("iam:CreateRole" in p and "boundary" in p for p in problems), problems


@pytest.fixture(scope="module", params=CIS)
def gcp_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {
        "cloud": "gcp",
        "iac": "terraform",
        "deploy_target": "containers",
        "ci": request.param,
    }
    return create_project(tmp_path_factory.mktemp("gcp") / "p", answers).destination


def _locals(path: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in _load(path).get("locals", []):
        merged.update(block)
    return merged


def test_gcp_pull_requests_only_reach_the_read_only_planner(gcp_project: Path) -> None:
    ci = _locals(gcp_project / "infra/terraform/envs/dev/ci.tf")
    # The deployer is impersonable only by tokens the provider maps to ci_kind 'deploy'; a
    # pull/merge request token is mapped to 'plan' (or rejected), never to 'deploy'.
    assert _strip(ci["ci_principal"]) == "attribute.ci_kind/deploy"
    assert "attribute.ci_kind/plan" in str(ci["ci_plan_principal"])
    attributes = {_strip(k): v for k, v in ci["ci_oidc"]["attribute_mapping"].items()}
    mapping = str(attributes["attribute.ci_kind"])
    assert "'plan'" in mapping and "'deploy'" in mapping, mapping
    dev = _load(gcp_project / "infra/terraform/envs/dev/terraform.tfvars")
    prod = _load(gcp_project / "infra/terraform/envs/prod/terraform.tfvars")
    assert dev.get("ci_allow_pull_requests") is True
    assert prod.get("ci_allow_pull_requests", False) is False, "prod accepts no pull requests"
    iam = _load(gcp_project / "infra/terraform/modules/iam/main.tf")
    roles = _blocks(iam, "resource", "google_project_iam_member")["ci_plan"]["for_each"]
    assert "roles/viewer" in str(roles) and "admin" not in str(roles).lower(), roles
    lock = _blocks(iam, "resource", "google_storage_bucket_iam_member")["ci_plan_lock"]
    assert ".tflock" in str(lock["condition"]), "the planner writes only the lock object"


def test_gcp_deploy_subjects_are_protected(gcp_project: Path) -> None:
    """prod's deployer admits only what the pipeline's prod job presents: its environment
    (GitHub `production`, GitLab `prod` on a protected ref) or the release tag job (Jenkins)."""
    prod = _load(gcp_project / "infra/terraform/envs/prod/terraform.tfvars")
    gitlab_ci = gcp_project / ".gitlab-ci.yml"
    if gitlab_ci.is_file():
        environment = yaml.safe_load(gitlab_ci.read_text())["deploy-prod"]["environment"]["name"]
        assert _strip(prod["ci_environment"]) == environment
    elif (gcp_project / "Jenkinsfile").is_file():
        assert _strip(prod["ci_deploy_job"]) == "v", "prod deploys only from release tag jobs"
    else:
        assert _strip(prod["ci_environment"]) == "production"


@pytest.mark.parametrize("ci", CIS)
def test_cloudformation_deploy_role_trusts_only_protected_refs(tmp_path: Path, ci: str) -> None:
    answers = {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers", "ci": ci}
    project = create_project(tmp_path / "p", answers).destination
    params = project / "infra/cloudformation"
    template = yaml.safe_load((params / "iam.yaml").read_text())
    pattern = re.compile(template["Parameters"]["CiSubject"]["AllowedPattern"])
    tokens = _pull_request_tokens(project)
    for env in ("dev", "prod"):
        subject = json.loads((params / f"params/{env}.json").read_text())["Stacks"]["iam"]
        value = str(subject["CiSubject"]).removeprefix("CHANGE_ME: ")
        assert not _admits([value], tokens), (env, value)
        assert pattern.fullmatch(value), (env, value)
    # The parameter's own pattern refuses the subjects an attacker's pipeline would present.
    refused = [t for t in tokens if "feature-x" not in t] + [
        "project_path:o/p:ref_type:branch:ref:*"
    ]
    for subject in refused:
        assert not pattern.fullmatch(subject), subject
