"""`aiarch add service` registers the service in the infrastructure, the way copier renders it.

The service is recorded in the project's answers (`added_services`) and the project is rendered
again at its own version, so the IaC lists it (registry repository, workload identity, the
Kubernetes overlays' identity parameters) exactly as a later `copier update` renders it: the
update does not take it out. The project's own validators still pass on the result.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from aiarch_scaffold import components
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from aiarch_scaffold.update import rerender
from tests.tools import commit_all, git, require

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("add-infra")]

NAME = "order_sync"
INFRA_NAME = "order-sync"  # clouds name it with '-'
# On managed containers, one service of each kind: each needs its own runtime definition.
RUNNING = {"order_api": "api", "order_events": "consumer"}
# Each cloud, each IaC tool and each deploy target at least once; every cloud and IaC on
# managed containers.
VARIANTS = [
    {"cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes"},
    {"cloud": "aws", "iac": "terraform", "deploy_target": "containers"},
    {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
    {"cloud": "gcp", "iac": "terraform", "deploy_target": "containers"},
    {"cloud": "azure", "iac": "terraform", "deploy_target": "kubernetes"},
    {"cloud": "azure", "iac": "terraform", "deploy_target": "containers"},
]
# The validators of what the add re-rendered (those the variant has: tools/check.py --list).
CHECKS = {"yamllint", "checkov", "cfn-lint", "terraform-refs", "iam-escalation", "kubernetes"}


def _id(answers: dict[str, str]) -> str:
    return "-".join(answers.values())


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, committed_template: Path
) -> Callable[[dict[str, str]], Path]:
    """``rendered(answers)``: a copy of the project of those answers as `aiarch new` leaves it.
    Each variant is rendered once per module; every test that adds to one gets its own copy."""
    renders: dict[str, Path] = {}

    def copy(answers: dict[str, str]) -> Path:
        if _id(answers) not in renders:
            source = TemplateSource(committed_template, vcs_ref="HEAD")
            dest = tmp_path_factory.mktemp("render") / "p"
            renders[_id(answers)] = create_project(dest, dict(answers), source=source).destination
        dest = tmp_path_factory.mktemp("infra") / "p"
        shutil.copytree(renders[_id(answers)], dest, symlinks=True)
        return dest

    return copy


@pytest.fixture(scope="module", params=VARIANTS, ids=[_id(v) for v in VARIANTS])
def project(request: pytest.FixtureRequest, rendered: Callable[[dict[str, str]], Path]) -> Path:
    dest = rendered(request.param)
    git(dest, "init", "-q")
    commit_all(dest, "generated")
    added = components.add_service(dest, NAME, "batch-job")
    assert added.unwired == []
    commit_all(dest, "add order_sync")
    if request.param["deploy_target"] == "containers":
        for name, kind in RUNNING.items():
            assert components.add_service(dest, name, kind).unwired == []
            commit_all(dest, f"add {name}")
    return dest


def _unquoted(value: Any) -> Any:
    """python-hcl2 keeps the quotes of HCL strings and keys; drop them."""
    if isinstance(value, dict):
        return {_unquoted(key): _unquoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unquoted(item) for item in value]
    return value.strip('"') if isinstance(value, str) else value


def _modules(main_tf: Path) -> dict[str, Any]:
    return {
        name: body
        for block in _unquoted(hcl2.loads(main_tf.read_text()))["module"]
        for name, body in block.items()
    }


def _locals(main_tf: Path) -> dict[str, Any]:
    parsed = hcl2.loads(main_tf.read_text())
    merged: dict[str, Any] = {}
    for block in parsed.get("locals", []):
        merged.update(block)
    return merged


def _answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def _kinds(project: Path) -> dict[str, str]:
    """What the project records: every added service and its kind."""
    on_containers = _answers(project)["deploy_target"] == "containers"
    return {NAME: "batch-job", **(RUNNING if on_containers else {})}


def test_the_service_is_recorded_in_the_answers(project: Path) -> None:
    assert _answers(project)["added_services"] == _kinds(project)


def test_managed_containers_run_every_added_service(project: Path) -> None:
    """ECS, Cloud Run and Container Apps get each added service by its kind: the environments
    hand the runtime modules exactly the recorded services (the modules define an api or
    consumer as a long-running service, a batch job as a scheduled one; see their for_each)."""
    answers = _answers(project)
    if answers["deploy_target"] != "containers" or answers["iac"] != "terraform":
        pytest.skip("Terraform on managed containers")
    wanted = {name.replace("_", "-"): {"kind": kind} for name, kind in _kinds(project).items()}
    for main_tf in sorted((project / "infra/terraform/envs").glob("*/main.tf")):
        if answers["cloud"] == "azure":
            assert _unquoted(_locals(main_tf))["added_services"] == wanted
        else:
            module = {"aws": "ecs", "gcp": "cloud_run"}[answers["cloud"]]
            assert _modules(main_tf)[module]["added_services"] == wanted, main_tf
    runtime = {
        "aws": ("ecs/main.tf", ['resource "aws_ecs_service" "added"', "local.batch_jobs"]),
        "gcp": (
            "cloud_run/main.tf",
            ['"google_cloud_run_v2_service" "added"', '"google_cloud_scheduler_job" "added"'],
        ),
        "azure": ("container_apps/main.tf", ['dynamic "ingress"']),
    }[answers["cloud"]]
    text = (project / "infra/terraform/modules" / runtime[0]).read_text()
    assert all(anchor in text for anchor in runtime[1])


def test_cloudformation_runs_every_added_service(project: Path) -> None:
    answers = _answers(project)
    if answers["iac"] != "cloudformation" or answers["deploy_target"] != "containers":
        pytest.skip("CloudFormation on ECS")
    stack = yaml.safe_load((project / "infra/cloudformation/compute-ecs.yaml").read_text())
    resources = stack["Resources"]
    for name, infra_name in (
        ("OrderSync", INFRA_NAME),
        ("OrderApi", "order-api"),
        ("OrderEvents", "order-events"),
    ):
        task = resources[f"{name}TaskDefinition"]["Properties"]
        container = task["ContainerDefinitions"][0]
        assert container["User"] == "10001:10001" and container["ReadonlyRootFilesystem"]
        assert container["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
        assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": "LogGroup"}
        role = task["TaskRoleArn"]["Fn::ImportValue"]["Fn::Sub"]
        assert role == f"${{Project}}-${{Environment}}-{infra_name}-role-arn"
    for name, group in (("OrderApi", "OrderApiSecurityGroup"), ("OrderEvents", "JobSecurityGroup")):
        network = resources[f"{name}Service"]["Properties"]["NetworkConfiguration"]
        assert network["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
        assert network["AwsvpcConfiguration"]["SecurityGroups"] == [{"Ref": group}]
    ingress = resources["OrderApiSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [rule["CidrIp"] for rule in ingress] == [
        {"Fn::ImportValue": {"Fn::Sub": "${Project}-${Environment}-vpc-cidr"}}
    ]
    assert "OrderSyncService" not in resources
    schedule = resources["OrderSyncSchedule"]["Properties"]["Target"]
    assert (
        schedule["EcsParameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]
        == "DISABLED"
    )
    assert schedule["RoleArn"] == {"Fn::GetAtt": "AddedJobSchedulerRole.Arn"}


def test_terraform_lists_the_service(project: Path) -> None:
    answers = _answers(project)
    if answers["iac"] != "terraform":
        pytest.skip("CloudFormation variant")
    envs = sorted((project / "infra/terraform/envs").glob("*/main.tf"))
    assert envs
    for main_tf in envs:
        values = _locals(main_tf)
        if answers["cloud"] == "gcp":  # one map: service -> its lake prefixes
            assert values["services"][INFRA_NAME] == {"read": [], "write": []}
        else:  # registries and identities from `services`, lake policies from lake_access
            assert INFRA_NAME in values["services"], main_tf
            assert values["lake_access"][INFRA_NAME] == {"read": [], "write": []}


def test_cloudformation_lists_the_service(project: Path) -> None:
    if _answers(project)["iac"] != "cloudformation":
        pytest.skip("Terraform variant")
    stacks = project / "infra/cloudformation"
    iam = yaml.safe_load((stacks / "iam.yaml").read_text())
    role = iam["Resources"]["OrderSyncRole"]["Properties"]
    assert role["RoleName"] == {"Fn::Sub": "${Project}-${Environment}-order-sync"}
    assert "Policies" not in role  # no lake prefix granted until its team grants one
    assert iam["Outputs"]["OrderSyncRoleArn"]["Export"]["Name"] == {
        "Fn::Sub": "${Project}-${Environment}-order-sync-role-arn"
    }
    registry = yaml.safe_load((stacks / "registry.yaml").read_text())
    repository = registry["Resources"]["OrderSyncRepository"]["Properties"]
    assert repository["RepositoryName"] == {"Fn::Sub": "${Environment}/${Project}-order-sync"}
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    pushes = yaml.dump(iam["Resources"]["CiRole"])
    assert "${Project}-${Environment}-order-sync-repository-arn" in pushes


def test_kubernetes_overlays_give_the_service_its_identity(project: Path) -> None:
    if _answers(project)["deploy_target"] != "kubernetes":
        pytest.skip("containers variant")
    require("kubectl")
    for env in ("dev", "prod"):
        overlay = project / "deploy/kubernetes/overlays" / env
        assert f"identity_{INFRA_NAME}=set-by-rollout" in (overlay / "params.env").read_text()
        built = subprocess.run(
            ["kubectl", "kustomize", str(overlay)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        accounts = [
            doc
            for doc in yaml.safe_load_all(built)
            if doc and doc["kind"] == "ServiceAccount" and doc["metadata"]["name"] == INFRA_NAME
        ]
        assert len(accounts) == 1
        assert list(accounts[0]["metadata"]["annotations"].values()) == ["set-by-rollout"]


def test_the_project_validators_pass(project: Path) -> None:
    require("uv")
    listed = subprocess.run(
        [sys.executable, "tools/check.py", "--list"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    result = subprocess.run(
        [sys.executable, "tools/check.py", "--only", *sorted(CHECKS & set(listed))],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CHECK_REQUIRE_ALL": os.environ.get("CHECK_REQUIRE_ALL", "0")},
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_checkov_catches_an_added_service_given_a_public_ip(project: Path, tmp_path: Path) -> None:
    """Planted defect: the added services' ECS definition (a for_each, not serving's own block)
    is scanned too: a public IP on it fails the project's checkov run."""
    answers = _answers(project)
    if (answers["cloud"], answers["iac"], answers["deploy_target"]) != (
        "aws",
        "terraform",
        "containers",
    ):
        pytest.skip("one variant: the ECS module is the same for every AWS Terraform project")
    require("uv")
    copy = tmp_path / "p"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".git", ".venv"))
    module = copy / "infra/terraform/modules/ecs/main.tf"
    text = module.read_text()
    start = text.index('resource "aws_ecs_service" "added"')
    end = text.index("assign_public_ip = false", start)
    module.write_text(f"{text[:end]}assign_public_ip = true{text[end + 24 :]}")
    result = subprocess.run(
        [sys.executable, "tools/check.py", "--only", "checkov"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode != 0
    assert "CKV_AWS_333" in result.stdout + result.stderr
    assert "aws_ecs_service.added" in result.stdout + result.stderr


def test_copier_renders_the_same_again(project: Path) -> None:
    """What `copier update` does with the recorded answers changes nothing the add wrote."""
    if _id({k: _answers(project)[k] for k in ("cloud", "iac", "deploy_target")}) != _id(
        VARIANTS[0]
    ):
        pytest.skip("one variant is enough: the same mechanism for all")
    changed, conflicts = rerender(project, {})
    assert changed == {} and conflicts == []


def test_an_unreachable_template_version_is_named_not_fatal(
    rendered: Callable[[dict[str, str]], Path],
) -> None:
    """The project cannot be rendered again at its version (its template source lost that
    commit): the service is added, and the infrastructure named for wiring by hand."""
    project = rendered(VARIANTS[0])
    answers_file = project / ".copier-answers.yml"
    text = answers_file.read_text()
    commit = yaml.safe_load(text)["_commit"]
    answers_file.write_text(text.replace(f"_commit: {commit}\n", "_commit: 0123abc\n"))
    git(project, "init", "-q")
    commit_all(project, "a version nobody has")
    added = components.add_service(project, NAME, "batch-job")
    assert (project / f"services/{NAME}/pyproject.toml").is_file()
    infra = [entry for entry in added.unwired if entry.startswith("infra/")]
    assert len(infra) == 1 and "cannot render the project again" in infra[0]
    assert "added_services: {}" in answers_file.read_text()
    assert INFRA_NAME not in (project / "infra/terraform/envs/dev/main.tf").read_text()


def _deploy_script_view(project: Path) -> dict[str, tuple[str, str]]:
    """service -> (image name, kind) as scripts/deploy.sh computes them for push and rollout."""
    script = (project / "scripts/deploy.sh").read_text()
    parts = [
        re.search(r"^IMAGE_PREFIX=.*$", script, re.M),
        re.search(r"^SERVICES=\(.*\)$", script, re.M),
        re.search(r"^declare -A SERVICE_KINDS=.*$", script, re.M),
        re.search(r"^image_name\(\) \{.*?^\}$", script, re.M | re.S),
        re.search(r"^service_kind\(\) \{.*?^\}$", script, re.M | re.S),
    ]
    on_containers = _answers(project)["deploy_target"] == "containers"
    found = [part.group(0) for part in parts if part is not None]
    assert len(found) == (5 if on_containers else 3), "deploy.sh lost a naming part"
    kind = '$(service_kind "$s")' if on_containers else "-"
    loop = f'for s in "${{SERVICES[@]}}"; do echo "$s $(image_name "$s") {kind}"; done'
    printed = subprocess.run(
        ["bash", "-c", "\n".join([*found, loop])], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[0]: (line.split()[1], line.split()[2]) for line in printed.splitlines()}


def test_deploy_pushes_and_rolls_out_each_added_service_by_its_cloud_name(project: Path) -> None:
    """`make push` and `make deploy` name an added service's image as its registry does
    (order-sync, not order_sync) and roll out apis and consumers as the running services."""
    prefix = _answers(project)["project_slug"].replace("_", "-")
    view = _deploy_script_view(project)
    on_containers = _answers(project)["deploy_target"] == "containers"
    for name, kind in _kinds(project).items():
        image, runs_as = view[name]
        assert image == f"{prefix}-{name.replace('_', '-')}"
        if on_containers:
            assert runs_as == kind
    if on_containers:
        assert view["serving"][1] == "api" and view["training"][1] == "batch-job"
        return
    require("kubectl")
    built = subprocess.run(
        ["kubectl", "kustomize", str(project / "deploy/kubernetes/overlays/dev")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    images = {
        container["image"].split(":")[0]
        for doc in yaml.safe_load_all(built)
        if doc and doc["kind"] in {"Deployment", "CronJob", "Job"}
        for container in _containers(doc)
    }
    # The rollout overlay retargets images by these names: each must be one the base uses.
    assert view[NAME][0] in images
    assert NAME not in images  # the component's bare image name was mapped


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return list(spec["template"]["spec"]["containers"])
