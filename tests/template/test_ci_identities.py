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
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.infra import load_raw_hcl, unquote

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


def _blocks(body: dict[str, Any], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in body.get(kind, []):
        for name_type, named in entry.items():
            if unquote(name_type) == type_name:
                found.update({unquote(name): block for name, block in named.items()})
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
    tfvars = load_raw_hcl(project / f"infra/terraform/envs/{env}/terraform.tfvars")
    return (
        [str(s) for s in unquote(tfvars.get("ci_oidc_subjects", []))],
        [str(s) for s in unquote(tfvars.get("ci_plan_oidc_subjects", []))],
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
    ci = load_raw_hcl(project / "infra/terraform/modules/iam/ci.tf")
    attachments = _blocks(ci, "resource", "aws_iam_role_policy_attachment")
    plan_policies = [
        str(unquote(a["policy_arn"])) for a in attachments.values() if "ci_plan" in str(a["role"])
    ]
    assert plan_policies and all(p.endswith(f"/{READ_ONLY_POLICY}") for p in plan_policies)
    document = _blocks(ci, "data", "aws_iam_policy_document")["ci_plan"]
    allowed = [s for s in document["statement"] if unquote(s.get("effect", "Allow")) == "Allow"]
    writes = {str(a) for s in allowed for a in unquote(s["actions"]) if a.startswith("s3:")}
    assert writes == {"s3:PutObject", "s3:DeleteObject"}
    lock_only = [r for s in allowed for r in unquote(s["resources"]) if "s3:::" in str(r)]
    assert lock_only and all(str(r).endswith(".tflock") for r in lock_only), lock_only
    assert not [a for s in allowed for a in unquote(s["actions"]) if str(a).startswith("iam:")]


def test_every_role_grant_requires_the_boundary(project: Path) -> None:
    ci = load_raw_hcl(project / "infra/terraform/modules/iam/ci.tf")
    document = _blocks(ci, "data", "aws_iam_policy_document")["ci"]
    for statement in document["statement"]:
        if unquote(statement.get("effect", "Allow")) == "Deny":
            continue
        granted = [
            a
            for a in ROLE_WRITES
            if any(fnmatch.fnmatchcase(a, str(p)) for p in unquote(statement["actions"]))
        ]
        if granted:
            variables = [unquote(c["variable"]) for c in statement.get("condition", [])]
            assert "iam:PermissionsBoundary" in variables, (unquote(statement.get("sid")), granted)
    denied = {
        str(a)
        for s in document["statement"]
        if unquote(s.get("effect")) == "Deny"
        for a in unquote(s["actions"])
    }
    assert {
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
    } <= denied


def test_every_role_carries_the_boundary(project: Path) -> None:
    for path in (project / "infra/terraform/modules").rglob("*.tf"):
        for name, role in _blocks(load_raw_hcl(path), "resource", "aws_iam_role").items():
            if str(unquote(role["name"])).endswith(("-ci", "-ci-plan")):
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
    for block in load_raw_hcl(path).get("locals", []):
        merged.update(block)
    return merged


def test_gcp_pull_requests_only_reach_the_read_only_planner(gcp_project: Path) -> None:
    ci = _locals(gcp_project / "infra/terraform/envs/dev/ci.tf")
    # The deployer is impersonable only by tokens the provider maps to ci_kind 'deploy'; a
    # pull/merge request token is mapped to 'plan' (or rejected), never to 'deploy'.
    assert unquote(ci["ci_principal"]) == "attribute.ci_kind/deploy"
    assert "attribute.ci_kind/plan" in str(ci["ci_plan_principal"])
    attributes = {unquote(k): v for k, v in ci["ci_oidc"]["attribute_mapping"].items()}
    mapping = str(attributes["attribute.ci_kind"])
    assert "'plan'" in mapping and "'deploy'" in mapping, mapping
    dev = load_raw_hcl(gcp_project / "infra/terraform/envs/dev/terraform.tfvars")
    prod = load_raw_hcl(gcp_project / "infra/terraform/envs/prod/terraform.tfvars")
    assert dev.get("ci_allow_pull_requests") is True
    assert prod.get("ci_allow_pull_requests", False) is False, "prod accepts no pull requests"
    iam = load_raw_hcl(gcp_project / "infra/terraform/modules/iam/main.tf")
    roles = _blocks(iam, "resource", "google_project_iam_member")["ci_plan"]["for_each"]
    assert "roles/viewer" in str(roles) and "admin" not in str(roles).lower(), roles
    lock = _blocks(iam, "resource", "google_storage_bucket_iam_member")["ci_plan_lock"]
    assert ".tflock" in str(lock["condition"]), "the planner writes only the lock object"


def test_gcp_deploy_subjects_are_protected(gcp_project: Path) -> None:
    """prod's deployer admits only what the pipeline's prod job presents: its environment
    (GitHub `production`, GitLab `prod` on a protected ref) or the release tag job (Jenkins)."""
    prod = load_raw_hcl(gcp_project / "infra/terraform/envs/prod/terraform.tfvars")
    gitlab_ci = gcp_project / ".gitlab-ci.yml"
    if gitlab_ci.is_file():
        environment = yaml.safe_load(gitlab_ci.read_text())["deploy-prod"]["environment"]["name"]
        assert unquote(prod["ci_environment"]) == environment
    elif (gcp_project / "Jenkinsfile").is_file():
        assert unquote(prod["ci_deploy_job"]) == "v", "prod deploys only from release tag jobs"
    else:
        assert unquote(prod["ci_environment"]) == "production"


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


def _repo(project: Path) -> str:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return f"{answers['organisation']}/{str(answers['project_slug']).replace('_', '-')}"


@pytest.fixture(scope="module", params=CIS)
def azure_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {
        "cloud": "azure",
        "iac": "terraform",
        "deploy_target": "containers",
        "ci": request.param,
    }
    return create_project(tmp_path_factory.mktemp("azure") / "p", answers).destination


def _azure_subjects(project: Path, env: str) -> tuple[list[str], list[str]]:
    """Federated credential subjects (deploy, plan) of ENV, with this project's values filled
    in the way Terraform would (Entra ID compares subjects exactly, no wildcards)."""
    text = (project / "infra/terraform/envs/dev/main.tf").read_text()
    deploy_part = text.split("ci_federated_subjects", 1)[1].split("ci_plan_federated_subjects")[0]
    plan_part = text.split("ci_plan_federated_subjects", 1)[1].split("ci_role_assignments")[0]
    tfvars = load_raw_hcl(project / f"infra/terraform/envs/{env}/terraform.tfvars")
    if not tfvars.get("ci_allow_pull_requests", False):
        plan_part = ""
    values = {
        "${var.ci_repository}": _repo(project),
        "${var.ci_project_path}": _repo(project),
        "${var.ci_deploy_branch}": str(unquote(tfvars.get("ci_deploy_branch", "main"))),
        "${coalesce(var.ci_environment, var.environment)}": str(
            unquote(tfvars.get("ci_environment") or tfvars["environment"])
        ),
    }

    def subjects(part: str) -> list[str]:
        found = []
        for subject in re.findall(r'subject\s*=\s*"([^"]*)"', part):
            for name, value in values.items():
                subject = subject.replace(name, value)
            if "${branch}" in subject:
                branches = [str(b) for b in unquote(tfvars.get("ci_plan_branches", []))]
                found += [subject.replace("${branch}", b) for b in branches or ["feature-x"]]
            else:
                found.append(subject)
        return found

    return subjects(deploy_part), subjects(plan_part)


def test_azure_pull_requests_only_reach_the_read_only_plan_identity(azure_project: Path) -> None:
    tokens = _pull_request_tokens(azure_project)
    for env in ("dev", "prod"):
        deploy, plan = _azure_subjects(azure_project, env)
        assert not set(deploy) & set(tokens), (env, deploy)
        if env == "prod":
            assert plan == [], "prod has no plan identity"
    _, plan = _azure_subjects(azure_project, "dev")
    if (azure_project / "Jenkinsfile").is_file():
        text = (azure_project / "infra/terraform/envs/dev/main.tf").read_text()
        plan_part = text.split("ci_plan_federated_subjects", 1)[1].split("ci_role_assignments")[0]
        assert "var.jenkins_oidc_plan_subject" in plan_part
        assert "var.jenkins_oidc_subject" not in plan_part, "the deploy job's subject cannot plan"
    else:
        assert plan and set(plan) <= set(tokens), plan
    iam = load_raw_hcl(azure_project / "infra/terraform/modules/iam/main.tf")
    credentials = _blocks(iam, "resource", "azurerm_federated_identity_credential")
    assert "ci_plan" in str(credentials["ci_plan"]["user_assigned_identity_id"])
    assignments = _blocks(iam, "resource", "azurerm_role_assignment")
    assert "ci_plan" in str(assignments["ci_plan"]["principal_id"])
    # Only read-only roles can be given to the plan identity, and the environment gives only those.
    variables = (azure_project / "infra/terraform/modules/iam/variables.tf").read_text()
    allowed = variables.split('variable "ci_plan_role_assignments"')[1].split("error_message")[0]
    main = (azure_project / "infra/terraform/envs/dev/main.tf").read_text()
    granted = re.findall(
        r'role = "([^"]+)"', main.split("ci_plan_role_assignments", 1)[1].split("tags")[0]
    )
    assert granted and set(granted) <= {
        "Reader",
        "Key Vault Reader",
        "Monitoring Reader",
        "Storage Blob Data Reader",
    }, granted
    for role in ("Contributor", "AcrPush", "Owner", "Writer", "Storage Blob Data Contributor"):
        assert f'"{role}"' not in allowed, role


def test_azure_deploy_subjects_match_the_pipelines_deploy_jobs(azure_project: Path) -> None:
    """GitHub's prod job runs in environment `production`: prod's subject must name it (it
    named `prod`, which no job presents), and no deploy subject may be a pull request."""
    workflow = azure_project / ".github/workflows/ci.yml"
    if not workflow.is_file():
        pytest.skip("environment subjects are GitHub's")
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    for env, job in (("dev", "deploy-dev"), ("prod", "deploy-prod")):
        deploy, _ = _azure_subjects(azure_project, env)
        environment = jobs[job]["environment"]["name"]
        assert deploy == [f"repo:{_repo(azure_project)}:environment:{environment}"], deploy


def _plan_job_identities(project: Path) -> tuple[str, str]:
    """(identity of the plan job, identity of the deploy jobs) as the pipeline file names them."""
    if (project / ".github/workflows/ci.yml").is_file():
        text = (project / ".github/workflows/ci.yml").read_text()
        plan = text.split("\n  plan:\n", 1)[1].split("\n  deploy-dev:\n")[0]
        deploy = text.split("\n  deploy-dev:\n", 1)[1]
    elif (project / ".gitlab-ci.yml").is_file():
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        plan = str(pipeline["plan-dev"]["variables"])
        deploy = str(pipeline[".deploy"]["variables"])
    else:
        text = (project / "Jenkinsfile").read_text()
        plan = text.split("stage('Plan dev')", 1)[1].split("stage('Deploy dev')")[0]
        deploy = text.split("stage('Deploy dev')", 1)[1].split("\n/**")[0]
    return plan, deploy


def test_plan_jobs_federate_into_the_plan_identity(azure_project: Path) -> None:
    plan, deploy = _plan_job_identities(azure_project)
    assert "CI_PLAN_IDENTITY" in plan or "ci-plan-identity" in plan, plan
    assert "CI_PLAN_IDENTITY" not in deploy and "ci-plan-identity" not in deploy
    # The plan identity cannot lease the state blob, so the plan job must not try to lock.
    assert "-lock=false" in plan, plan


def test_cloudformation_plan_role_is_read_only_and_only_for_pull_requests(tmp_path: Path) -> None:
    for ci in CIS:
        answers = {"cloud": "aws", "iac": "cloudformation", "deploy_target": "kubernetes", "ci": ci}
        project = create_project(tmp_path / ci, answers).destination
        cfn = project / "infra/cloudformation"
        resources = yaml.safe_load((cfn / "iam.yaml").read_text())["Resources"]
        role = resources["CiPlanRole"]
        assert role["Condition"] == "CreateCiPlanRole"
        managed = [str(arn["Fn::Sub"]) for arn in role["Properties"]["ManagedPolicyArns"]]
        assert managed == ["arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"], managed
        statements = [
            s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
        ]
        allowed = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
        # `aws cloudformation deploy --no-execute-changeset` + describe-change-set, nothing more.
        assert allowed == {
            "cloudformation:CreateChangeSet",
            "cloudformation:DeleteChangeSet",
            "cloudformation:DescribeChangeSet",
        }
        for statement in statements:
            if statement["Effect"] == "Allow":
                assert "stack/${Project}-${Environment}-*/*" in statement["Resource"]["Fn::Sub"]
        denied = {a for s in statements if s["Effect"] == "Deny" for a in s["Action"]}
        assert {
            "cloudformation:ExecuteChangeSet",
            "kms:Decrypt",
            "secretsmanager:GetSecretValue",
            "s3:GetObject",
        } <= denied
        script = (project / "scripts/deploy/infra.sh").read_text()
        plan = script.split("infra_plan() {", 1)[1].split("\n}\n")[0]
        assert "--no-execute-changeset" in plan and "execute-change-set" not in plan
        # The deploy role cannot create or change roles, so it needs no permissions boundary.
        ci_actions = [
            str(a)
            for p in resources["CiRole"]["Properties"]["Policies"]
            for s in p["PolicyDocument"]["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert [a for a in ci_actions if a.startswith("iam:")] in ([], ["iam:PassRole"])
        tokens = _pull_request_tokens(project)
        params = {
            env: json.loads((cfn / f"params/{env}.json").read_text())["Stacks"]["iam"]
            for env in ("dev", "prod")
        }
        dev_plan = str(params["dev"]["CiPlanSubject"]).removeprefix("CHANGE_ME: ")
        assert _admits([dev_plan], tokens), (ci, dev_plan)
        assert params["prod"]["CiPlanSubject"] == "", "prod has no plan role"
        plan, _ = _plan_job_identities(project)
        assert "CI_PLAN_IDENTITY" in plan or "ci-plan-identity" in plan, (ci, plan)


def test_prod_ci_identity_may_pull_the_dev_registry(tmp_path: Path) -> None:
    """Prod promotes the digest dev tested: dev's registry grants the prod CI identity pull
    access, from a variable/parameter set in dev's settings (and nothing else)."""
    variants = {
        "aws-terraform": {"cloud": "aws", "iac": "terraform"},
        "aws-cloudformation": {"cloud": "aws", "iac": "cloudformation"},
        "gcp-terraform": {"cloud": "gcp", "iac": "terraform"},
        "azure-terraform": {"cloud": "azure", "iac": "terraform"},
    }
    for name, answers in variants.items():
        project = create_project(tmp_path / name, {**answers, "ci": "github"}).destination
        if answers["iac"] == "cloudformation":
            cfn = project / "infra/cloudformation"
            template = yaml.safe_load((cfn / "registry.yaml").read_text())
            repositories = {
                k: v
                for k, v in template["Resources"].items()
                if v["Type"] == "AWS::ECR::Repository"
            }
            for repository in repositories.values():
                policy = repository["Properties"]["RepositoryPolicyText"]["Fn::If"]
                statement = policy[1]["Statement"][0]
                assert statement["Principal"]["AWS"] == {"Ref": "PromotionReaderArns"}
                assert "ecr:BatchGetImage" in statement["Action"]
                assert not [a for a in statement["Action"] if "Put" in a or "Upload" in a]
            dev = json.loads((cfn / "params/dev.json").read_text())["Stacks"]["registry"]
            assert "PromotionReaderArns" in dev, name
            continue
        envs = project / "infra/terraform/envs/dev"
        assert "promotion_reader" in (envs / "terraform.tfvars").read_text(), name
        main = (envs / "main.tf").read_text()
        if answers["cloud"] == "aws":
            assert "promotion_reader_arns = var.promotion_reader_arns" in main
            registry = load_raw_hcl(project / "infra/terraform/modules/registry/main.tf")
            document = _blocks(registry, "data", "aws_iam_policy_document")["promotion"]
            statement = document["statement"][0]
            assert unquote(statement["principals"][0]["identifiers"]) == (
                "${var.promotion_reader_arns}"
            )
            assert not [a for a in unquote(statement["actions"]) if "Put" in a or "Upload" in a]
            policies = _blocks(registry, "resource", "aws_ecr_repository_policy")
            assert "promotion" in policies
        elif answers["cloud"] == "gcp":
            readers = main.split("readers = merge(", 1)[1].split("\n  )\n")[0]
            assert "var.promotion_reader_service_accounts" in readers, readers
        else:
            grant = _blocks(load_raw_hcl(envs / "main.tf"), "resource", "azurerm_role_assignment")
            reader = grant["promotion_reader"]
            assert unquote(reader["role_definition_name"]) == "AcrPull"
            assert "module.registry.id" in str(reader["scope"])
            assert "var.promotion_reader_principal_ids" in str(reader["for_each"])


def test_gitlab_ci_images_are_pinned_by_digest(tmp_path: Path) -> None:
    answers = {"cloud": "gcp", "iac": "terraform", "deploy_target": "kubernetes", "ci": "gitlab"}
    project = create_project(tmp_path / "p", answers).destination
    spec = importlib.util.spec_from_file_location("check", project / "tools/check.py")
    assert spec is not None and spec.loader is not None
    check = importlib.util.module_from_spec(spec)
    sys.modules["check"] = check  # its dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(check)
    finally:
        del sys.modules["check"]
    pipeline = Path(".gitlab-ci.yml")
    assert check.unpinned_base_images([pipeline]) == ""
    text = (project / pipeline).read_text()
    assert re.search(r"image: docker:[^@\s]+-cli@sha256:[0-9a-f]{64}", text)
    assert re.search(r"- name: docker:[^@\s]+-dind@sha256:[0-9a-f]{64}", text)
    # A re-pushable tag in place of the digest (what the pipeline used) is reported.
    (project / pipeline).write_text(
        re.sub(r"(docker:[^@\s]+-dind)@sha256:[0-9a-f]{64}", r"\1", text)
    )
    problems = check.unpinned_base_images([pipeline])
    assert "dind" in problems and "not pinned" in problems, problems


def test_jenkins_signing_key_signs_only_for_the_ci_deploy_identity(tmp_path: Path) -> None:
    """Jenkins signs with a KMS key (COSIGN_KEY): the IaC creates an asymmetric sign/verify
    key in dev, gives sign rights to the CI deploy identity alone (never the plan identity)
    and only public-key/verify rights to the promotion readers; docs give the URI."""
    variants = {
        "aws-terraform": {"cloud": "aws", "iac": "terraform"},
        "aws-cloudformation": {"cloud": "aws", "iac": "cloudformation"},
        "gcp-terraform": {"cloud": "gcp", "iac": "terraform"},
        "azure-terraform": {"cloud": "azure", "iac": "terraform"},
    }
    for name, answers in variants.items():
        project = create_project(tmp_path / name, {**answers, "ci": "jenkins"}).destination
        docs = (project / "docs/deploy.md").read_text()
        scheme = {"aws": "awskms://", "gcp": "gcpkms://", "azure": "azurekms://"}[answers["cloud"]]
        assert scheme in docs, name
        if answers["iac"] == "cloudformation":
            cfn = project / "infra/cloudformation"
            resources = yaml.safe_load((cfn / "iam.yaml").read_text())["Resources"]
            key = resources["ImageSigningKey"]["Properties"]
            assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
            statements = key["KeyPolicy"]["Statement"]
            signers = [s for s in statements if "Sid" in s and "kms:Sign" in s["Action"]]
            assert [s["Principal"]["AWS"] for s in signers] == [{"Fn::GetAtt": "CiRole.Arn"}]
            verify = statements[-1]["Fn::If"][1]
            assert "kms:Sign" not in verify["Action"] and "kms:Verify" in verify["Action"]
            dev = json.loads((cfn / "params/dev.json").read_text())["Stacks"]["iam"]
            prod = json.loads((cfn / "params/prod.json").read_text())["Stacks"]["iam"]
            assert (dev["CreateImageSigningKey"], prod["CreateImageSigningKey"]) == (
                "true",
                "false",
            )
            continue
        envs = project / "infra/terraform/envs"
        dev = load_raw_hcl(envs / "dev/terraform.tfvars")
        assert dev["image_signing_key"] is True, name
        assert load_raw_hcl(envs / "prod/terraform.tfvars").get("image_signing_key", False) is False
        main = load_raw_hcl(envs / "dev/main.tf")
        if answers["cloud"] == "aws":
            key = _blocks(main, "resource", "aws_kms_key")["image_signing"]
            assert unquote(key["customer_master_key_spec"]) == "ECC_NIST_P256"
            assert unquote(key["key_usage"]) == "SIGN_VERIFY"
            document = _blocks(main, "data", "aws_iam_policy_document")["image_signing"]
            # Static statements only: the dynamic one (promotion readers) must not sign.
            signers = [s for s in document["statement"] if "kms:Sign" in unquote(s["actions"])]
            assert "kms:Sign" not in str(document.get("dynamic", ""))
            assert len(signers) == 1, signers
            assert "module.iam.ci_role_arn" in str(signers[0]["principals"])
            assert "ci_plan" not in str(signers[0]["principals"])
        elif answers["cloud"] == "gcp":
            key = _blocks(main, "resource", "google_kms_crypto_key")["image_signing"]
            assert unquote(key["purpose"]) == "ASYMMETRIC_SIGN"
            assert unquote(key["version_template"][0]["algorithm"]) == "EC_SIGN_P256_SHA256"
            members = _blocks(main, "resource", "google_kms_crypto_key_iam_member")
            assert unquote(members["image_signer"]["role"]) == "roles/cloudkms.signerVerifier"
            assert "module.iam.ci_service_account_member" in str(members["image_signer"]["member"])
            assert unquote(members["image_verifiers"]["role"]) == "roles/cloudkms.publicKeyViewer"
        else:
            key = _blocks(main, "resource", "azurerm_key_vault_key")["image_signing"]
            assert (unquote(key["key_type"]), unquote(key["curve"])) == ("EC-HSM", "P-256")
            assert unquote(key["key_opts"]) == ["sign", "verify"]
            grants = _blocks(main, "resource", "azurerm_role_assignment")
            assert (
                unquote(grants["image_signer"]["role_definition_name"]) == "Key Vault Crypto User"
            )
            assert "module.iam.ci_principal_id" in str(grants["image_signer"]["principal_id"])
            assert unquote(grants["image_verifiers"]["role_definition_name"]) == "Key Vault Reader"
            assert "image_signing" in str(grants["image_verifiers"]["scope"])
