"""`aiarch doctor`: what this machine lacks to run a generated project, read from its answers.

Required: what `make install | pipeline | test | check` needs for the project's answers (git,
make, uv always; the system tools tools/check.py calls for the files this project has: promtool
for the alert rules, kubectl for Kubernetes manifests, npm-groovy-lint and Java for a
Jenkinsfile). Optional, or required with ``--deploy``: what `make images | infra-plan | push |
deploy` needs (docker, terraform, the cloud's CLI, kubectl for a rollout).
"""

from __future__ import annotations

import platform
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aiarch_scaffold.errors import UsageError

ANSWERS_FILE = ".copier-answers.yml"
Which = Callable[[str], str | None]
Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Hint:
    apt: str
    brew: str
    url: str


@dataclass(frozen=True)
class Tool:
    command: str
    purpose: str
    needed: Callable[[Answers], bool]
    hint: Hint
    deploy: bool = False  # needed to ship (images, infra, rollout), not to develop


def _cloud(name: str) -> Callable[[Answers], bool]:
    return lambda a: a.get("cloud") == name


def _always(_: Answers) -> bool:
    return True


def _kubernetes(a: Answers) -> bool:
    return a.get("cloud", "local") != "local" and a.get("deploy_target") == "kubernetes"


TOOLS: tuple[Tool, ...] = (
    Tool(
        "git",
        "version control, make install",
        _always,
        Hint("sudo apt-get install git", "brew install git", "https://git-scm.com/downloads"),
    ),
    Tool(
        "make",
        "make install | pipeline | test | check",
        _always,
        Hint(
            "sudo apt-get install make",
            "xcode-select --install",
            "https://www.gnu.org/software/make/",
        ),
    ),
    Tool(
        "uv",
        "Python environments (make install)",
        _always,
        Hint(
            "python3 -m pip install uv",
            "brew install uv",
            "https://docs.astral.sh/uv/getting-started/installation/",
        ),
    ),
    Tool(
        "promtool",
        "make check: Prometheus alert rules and their tests",
        _always,
        Hint(
            "sudo apt-get install prometheus",
            "brew install prometheus",
            "https://prometheus.io/download/",
        ),
    ),
    Tool(
        "kubectl",
        "make check: kustomize build of the manifests; make deploy",
        _kubernetes,
        Hint(
            "sudo apt-get install kubectl",
            "brew install kubectl",
            "https://kubernetes.io/docs/tasks/tools/",
        ),
    ),
    Tool(
        "npm-groovy-lint",
        "make check: Jenkinsfile lint",
        lambda a: a.get("ci") == "jenkins",
        Hint(
            "sudo apt-get install npm && sudo npm install -g npm-groovy-lint",
            "brew install node && npm install -g npm-groovy-lint",
            "https://www.npmjs.com/package/npm-groovy-lint",
        ),
    ),
    Tool(
        "java",
        "npm-groovy-lint runs on a JRE",
        lambda a: a.get("ci") == "jenkins",
        Hint(
            "sudo apt-get install openjdk-17-jre-headless",
            "brew install openjdk@17",
            "https://adoptium.net/",
        ),
    ),
    Tool(
        "docker",
        "make images | push: build the service images",
        _always,
        Hint(
            "sudo apt-get install docker.io",
            "brew install --cask docker",
            "https://docs.docker.com/get-docker/",
        ),
        deploy=True,
    ),
    Tool(
        "terraform",
        "make infra-plan | infra-apply",
        lambda a: a.get("cloud", "local") != "local" and a.get("iac") == "terraform",
        Hint(
            "see https://developer.hashicorp.com/terraform/install (HashiCorp apt repository)",
            "brew install hashicorp/tap/terraform",
            "https://developer.hashicorp.com/terraform/install",
        ),
        deploy=True,
    ),
    Tool(
        "aws",
        "make infra-plan | push | deploy on AWS",
        _cloud("aws"),
        Hint("sudo apt-get install awscli", "brew install awscli", "https://aws.amazon.com/cli/"),
        deploy=True,
    ),
    Tool(
        "gcloud",
        "make infra-plan | push | deploy on Google Cloud",
        _cloud("gcp"),
        Hint(
            "see https://cloud.google.com/sdk/docs/install#deb (Google Cloud apt repository)",
            "brew install --cask google-cloud-sdk",
            "https://cloud.google.com/sdk/docs/install",
        ),
        deploy=True,
    ),
    Tool(
        "az",
        "make infra-plan | push | deploy on Azure",
        _cloud("azure"),
        Hint(
            "see https://learn.microsoft.com/cli/azure/install-azure-cli-linux (apt repository)",
            "brew install azure-cli",
            "https://learn.microsoft.com/cli/azure/install-azure-cli",
        ),
        deploy=True,
    ),
)


@dataclass(frozen=True)
class Finding:
    command: str
    purpose: str
    found: str | None  # where it is, or None
    required: bool
    hint: str


def detect_os(os_release: Path = Path("/etc/os-release"), system: str | None = None) -> str:
    """'apt' on Debian/Ubuntu and their derivatives, 'brew' on macOS, else 'other'."""
    system = system or platform.system()
    if system == "Darwin":
        return "brew"
    if system == "Linux":
        try:
            text = os_release.read_text(encoding="utf-8")
        except OSError:
            return "other"
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        ids = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".replace('"', "").split()
        if {"debian", "ubuntu"} & set(ids):
            return "apt"
    return "other"


def read_answers(project: Path) -> dict[str, Any]:
    """The answers a project was generated with; a one-line UsageError for anything else."""
    answers_file = project / ANSWERS_FILE
    if not project.is_dir():
        raise UsageError(f"{project} is not a folder")
    if not answers_file.is_file():
        raise UsageError(f"{project} is not a generated project: no {ANSWERS_FILE}")
    try:
        loaded = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read {answers_file}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise UsageError(f"{answers_file} must be a mapping of question: answer")
    return {str(key): value for key, value in loaded.items()}


def _bundled_uv() -> str | None:
    from aiarch_scaffold.preflight import kit_uv

    return kit_uv()


def examine(
    project: Path,
    *,
    deploy: bool = False,
    which: Which = shutil.which,
    os_kind: str | None = None,
    bundled_uv: Callable[[], str | None] = _bundled_uv,
) -> list[Finding]:
    """One finding per tool the project's answers need, in TOOLS order."""
    answers = read_answers(project)
    kind = os_kind or detect_os()
    findings = []
    for tool in TOOLS:
        if not tool.needed(answers):
            continue
        found = which(tool.command)
        if found is None and tool.command == "uv":
            found = bundled_uv()  # the kit's own uv; `export UV=...` as `aiarch new` prints
        hint = {"apt": tool.hint.apt, "brew": tool.hint.brew}.get(kind, tool.hint.url)
        findings.append(Finding(tool.command, tool.purpose, found, deploy or not tool.deploy, hint))
    return findings


def missing_required(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.found is None and f.required]


def render(findings: list[Finding]) -> str:
    """One line per tool, then a verdict line."""
    width = max((len(f.command) for f in findings), default=0)
    lines = []
    for f in findings:
        status = "found  " if f.found else "MISSING"
        need = "required" if f.required else "optional"
        detail = f.found if f.found else f"install: {f.hint}"
        lines.append(f"{f.command:<{width}}  {status}  {need}  {f.purpose}; {detail}")
    missing = missing_required(findings)
    if missing:
        lines.append(f"missing required: {', '.join(f.command for f in missing)}")
    else:
        lines.append("everything required is installed")
    return "\n".join(lines)


__all__ = ["TOOLS", "Finding", "detect_os", "examine", "missing_required", "read_answers", "render"]
