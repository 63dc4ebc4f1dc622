"""Organisation-wide defaults: `cloud_region` and `codeowners_team` (issue 14).

Their defaults render the projects the kit rendered before the two questions existed: the
template at BASELINE (the commit before them) and at WIRED (the commit that added and wired
them), both extracted from this repository's history, render the same files, same bytes, the
answers file aside (it records the two answers). Pinned by its two commits, as
test_layout_identical is, so later changes to the output do not break it. On this checkout, a
non-default region reaches every place the default one is written to and leaves no trace of
the old one; a bad one is refused before anything is written.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT

BASELINE = "8619b01"  # main before cloud_region and codeowners_team
WIRED = "4d7a3eb"  # the commit that added both questions and wired them into the template
ANSWERS_FILE = ".copier-answers.yml"
NEW_KEYS = {"cloud_region", "codeowners_team"}
DEFAULT_REGION = {"aws": "eu-west-1", "gcp": "europe-west1", "azure": "westeurope"}
OTHER_REGION = {"aws": "ap-southeast-2", "gcp": "us-east4", "azure": "swedencentral"}
runner = CliRunner()
Render = Callable[[str, dict[str, str]], dict[str, bytes]]

# The places each variant writes the region (and the CODEOWNERS file of its CI provider).
VARIANTS: dict[str, dict[str, str]] = {
    "aws-terraform-eks-gateway-github": {
        "cloud": "aws",
        "iac": "terraform",
        "deploy_target": "kubernetes",
        "api_gateway": "cloud",
        "ci": "github",
    },
    "aws-cloudformation-ecs-gitlab": {
        "cloud": "aws",
        "iac": "cloudformation",
        "deploy_target": "containers",
        "ci": "gitlab",
    },
    "gcp-cloudrun-gateway-jenkins": {
        "cloud": "gcp",
        "deploy_target": "containers",
        "api_gateway": "cloud",
        "ci": "jenkins",
    },
    "azure-aks-github": {"cloud": "azure", "deploy_target": "kubernetes", "ci": "github"},
}
CODEOWNERS = {
    "github": ".github/CODEOWNERS",
    "gitlab": ".gitlab/CODEOWNERS",
    "jenkins": "CODEOWNERS",
}
REGION_FILES = {
    "terraform": ["envs/dev/terraform.tfvars", "envs/prod/terraform.tfvars"],
    "cloudformation": ["params/dev.json", "params/prod.json"],
}


def _extract(commit: str, target: Path) -> TemplateSource:
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit, "copier.yml", "template"],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        pytest.fail(f"commit {commit} is not in this clone's history (fetch full history)")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return TemplateSource(root=target)


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> tuple[TemplateSource, TemplateSource]:
    """(before the questions, with them) as plain folders."""
    root = tmp_path_factory.mktemp("pinned")
    return _extract(BASELINE, root / "baseline"), _extract(WIRED, root / "wired")


@pytest.fixture(scope="module")
def current() -> TemplateSource:
    return TemplateSource(root=REPO_ROOT)


@pytest.fixture(scope="module")
def default_renders(tmp_path_factory: pytest.TempPathFactory, current: TemplateSource) -> Render:
    """Each variant rendered with default answers by this checkout, once per module."""
    done: dict[str, dict[str, bytes]] = {}

    def render(name: str, answers: dict[str, str]) -> dict[str, bytes]:
        if name not in done:
            target = tmp_path_factory.mktemp(name) / "project"
            done[name] = _tree(create_project(target, answers, source=current).destination)
        return dict(done[name])

    return render


def _tree(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


def _answers(data: bytes) -> dict[str, object]:
    loaded = yaml.safe_load(data)
    return {key: value for key, value in loaded.items() if key not in {"_src_path", "_commit"}}


@pytest.mark.parametrize("name", [*VARIANTS, "local"])
def test_default_answers_render_the_same_project_as_before(
    tmp_path: Path, pinned: tuple[TemplateSource, TemplateSource], name: str
) -> None:
    answers = VARIANTS.get(name, {"cloud": "local", "ci": "gitlab"})
    baseline, wired = pinned
    before = _tree(create_project(tmp_path / "before", answers, source=baseline).destination)
    after = _tree(create_project(tmp_path / "after", answers, source=wired).destination)
    assert set(after) == set(before)
    differing = sorted(rel for rel in before if before[rel] != after[rel])
    assert differing == [ANSWERS_FILE]
    recorded = _answers(after.pop(ANSWERS_FILE))
    cloud = answers["cloud"]
    expected_new = {"codeowners_team": "@acme/customer-churn-platform-maintainers"}
    if cloud != "local":
        expected_new["cloud_region"] = DEFAULT_REGION[cloud]
    assert {key: recorded.pop(key) for key in NEW_KEYS & set(recorded)} == expected_new
    assert recorded == _answers(before[ANSWERS_FILE])


@pytest.mark.parametrize("name", VARIANTS)
def test_a_region_and_team_reach_every_place(
    tmp_path: Path, current: TemplateSource, default_renders: Render, name: str
) -> None:
    answers = VARIANTS[name]
    cloud = answers["cloud"]
    old, new = DEFAULT_REGION[cloud], OTHER_REGION[cloud]
    default = default_renders(name, answers)
    chosen = {**answers, "cloud_region": new, "codeowners_team": "@agency/ml-platform"}
    project = create_project(tmp_path / "chosen", chosen, source=current).destination
    files = _tree(project)

    # Every file that named the default region names the chosen one, and no file keeps the old.
    held_old = {rel for rel, data in default.items() if old.encode() in data}
    iac = answers.get("iac", "terraform")
    assert {f"infra/{iac}/{rel}" for rel in REGION_FILES[iac]} <= held_old
    if iac == "terraform":  # the state bucket's commands; CloudFormation reads params/<env>.json
        assert "docs/deploy.md" in held_old
    for rel in held_old:
        assert new.encode() in files[rel], f"{rel} does not name {new}"
    leftovers = sorted(rel for rel, data in files.items() if old.encode() in data)
    assert leftovers == [], f"{old} left in {leftovers}"
    if iac == "terraform":
        for env in ("dev", "prod"):
            tfvars = files[f"infra/terraform/envs/{env}/terraform.tfvars"].decode()
            key = "location" if cloud == "azure" else "region"
            assert f"\n{key} " in tfvars and f'"{new}"' in tfvars
    else:
        for env in ("dev", "prod"):
            params = yaml.safe_load(files[f"infra/cloudformation/params/{env}.json"])
            assert params["Region"] == new

    default_owners = default[CODEOWNERS[answers["ci"]]].decode()
    assert (
        "\n*                        @acme/customer-churn-platform-maintainers\n" in default_owners
    )
    codeowners = files[CODEOWNERS[answers["ci"]]].decode()
    assert "\n*                        @agency/ml-platform\n" in codeowners
    assert "maintainers" not in codeowners


BAD = {
    "aws region with a space": (["cloud=aws", "cloud_region=eu west 1"], "cloud_region"),
    "gcp region in aws form": (["cloud=gcp", "cloud_region=eu-west-1"], "cloud_region"),
    "azure display name": (["cloud=azure", "cloud_region=West Europe"], "cloud_region"),
    "team without @": (["codeowners_team=acme/ml"], "codeowners_team"),
    "team with two slashes": (["codeowners_team=@acme/ml/x"], "codeowners_team"),
}


@pytest.mark.parametrize(("data", "key"), BAD.values(), ids=BAD.keys())
def test_a_bad_region_or_team_is_one_line_and_nothing_written(
    tmp_path: Path, data: list[str], key: str
) -> None:
    from aiarch_scaffold.cli import app

    args = [arg for item in data for arg in ("-d", item)]
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and key in lines[0], result.stderr
    assert not (tmp_path / "p").exists()
    assert list(tmp_path.iterdir()) == []
