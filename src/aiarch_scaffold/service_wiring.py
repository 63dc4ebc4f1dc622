"""Wires a new service into a project's shared files by small idempotent text edits.

Each edit takes a file's text and returns it with the service added (unchanged when it is
already there, or when the line it extends is gone: ``ANCHORS`` names those lines so the
caller can tell the user which files to wire by hand).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

K8S_BASE = Path("deploy/kubernetes/base")
Edit = Callable[[str, str, Mapping[str, Any]], str]


def _member(slug: str, name: str) -> str:
    return f"{slug.replace('_', '-')}-{name}"


def _append_to_list_line(text: str, pattern: str, item: str, sep: str = ", ") -> str:
    """``KEY [a, b]`` style lines (one per match): add ``item`` unless present."""

    def add(match: re.Match[str]) -> str:
        items = [i.strip() for i in re.split(r"[,\s]+", match.group("items")) if i.strip()]
        if item in items:
            return match.group(0)
        body = match.group("items").rstrip()
        joined = f"{body}{sep}{item}" if body else item
        return f"{match.group('head')}{joined}{match.group('tail')}"

    return re.sub(pattern, add, text, flags=re.MULTILINE)


def edit_pyproject(text: str, name: str, answers: Mapping[str, Any]) -> str:
    member = _member(str(answers["project_slug"]), name)
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    in_deps = False
    for index, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip()
        if section == "[project]" and line.startswith("dependencies = ["):
            in_deps = True
        elif in_deps and line.strip() == "]":
            in_deps = False
            if f'"{member}"' not in "\n".join(lines[:index]):
                out.append(f'  "{member}",')
        out.append(line)
        if section == "[tool.uv.sources]" and (
            index + 1 == len(lines) or not lines[index + 1].strip()
        ):
            entry = f"{member} = {{ workspace = true }}"
            if entry not in lines and line.strip():
                out.append(entry)
    text = "\n".join(out) + "\n"
    return _append_to_list_line(
        text,
        r"^(?P<head>known-first-party = \[)(?P<items>[^\]]*)(?P<tail>\])",
        f'"{name}"',
    )


def edit_makefile(text: str, name: str, answers: Mapping[str, Any]) -> str:
    text = _append_to_list_line(
        text, r"^(?P<head>SERVICES := )(?P<items>.*?)(?P<tail>)$", name, sep=" "
    )
    command = name.replace("_", "-")
    target = f"run-{command}"
    if f"\n{target}:" in text:
        return text
    block = (
        f"\n.PHONY: {target}\n"
        f"{target}: ## Run the {name} service (added by aiarch add)\n"
        f"\t$(UV) run --no-sync {command}$(if $(ARGS), $(ARGS))\n"
    )
    return text.rstrip("\n") + "\n" + block


def edit_github_ci(text: str, name: str, answers: Mapping[str, Any]) -> str:
    return _append_to_list_line(
        text, r"^(?P<head>\s+service: \[)(?P<items>[^\]]*)(?P<tail>\])", name
    )


def edit_gitlab_ci(text: str, name: str, answers: Mapping[str, Any]) -> str:
    return _append_to_list_line(
        text, r"^(?P<head>\s+- SERVICE: \[)(?P<items>[^\]]*)(?P<tail>\])", name
    )


def edit_deploy_script(text: str, name: str, answers: Mapping[str, Any]) -> str:
    return _append_to_list_line(
        text, r"^(?P<head>SERVICES=\()(?P<items>[^)]*)(?P<tail>\))", name, sep=" "
    )


def edit_dockerfile(text: str, names: list[str]) -> str:
    """Every image build reads every member's pyproject.toml: add the missing COPY lines."""
    lines = text.splitlines()
    copies = [i for i, line in enumerate(lines) if re.match(r"^COPY services/\w+/pyproject", line)]
    if not copies:
        return text
    present = {lines[i].split("/")[1] for i in copies}
    missing = [f"COPY services/{n}/pyproject.toml services/{n}/" for n in names if n not in present]
    at = copies[-1] + 1
    return "\n".join(lines[:at] + missing + lines[at:]) + "\n"


def edit_kustomization(text: str, name: str, answers: Mapping[str, Any]) -> str:
    resource = f"  - services/{name}.yaml"
    lines = text.splitlines()
    if resource not in lines:
        start = lines.index("resources:")
        end = start + 1
        while end < len(lines) and lines[end].startswith("  - "):
            end += 1
        lines.insert(end, resource)
    image = f"  - name: {name}"
    if image not in lines:
        slug = str(answers["project_slug"]).replace("_", "-")
        start = lines.index("images:")
        lines[start + 1 : start + 1] = [
            image,
            f"    newName: {slug}-{name}",
            "    newTag: set-by-rollout",
        ]
    return "\n".join(lines) + "\n"


def edit_architecture(text: str, name: str, answers: Mapping[str, Any]) -> str:
    kind = str(answers["kind"])
    command = name.replace("_", "-")
    lines = text.splitlines()
    node = f'    SVC_{name.upper()}["{name}<br/>({command}, {kind})"]'
    if "```mermaid" in lines and node not in lines:
        start = lines.index("```mermaid")
        end = lines.index("```", start + 1)
        lines.insert(end, node)
    row = f"| `{name}` | `{command}` | added with `aiarch add service` ({kind}) | see its README |"
    if "| Service | Command | Reads | Writes |" in lines and row not in lines:
        at = lines.index("| Service | Command | Reads | Writes |") + 1
        while at < len(lines) and lines[at].startswith("|"):
            at += 1
        lines.insert(at, row)
    return "\n".join(lines) + "\n"


def edit_catalog(text: str, name: str, answers: Mapping[str, Any]) -> str:
    """One more Backstage Component in catalog-info.yaml, in the project's System."""
    slug = str(answers["project_slug"])
    member = _member(slug, name)
    if f"\n  name: {member}\n" in text:
        return text
    kind = str(answers["kind"])
    entity = "\n".join(
        [
            "---",
            "apiVersion: backstage.io/v1alpha1",
            "kind: Component",
            "metadata:",
            f"  name: {member}",
            f"  description: Added with aiarch add service ({kind}); see services/{name}/README.md",
            "spec:",
            f"  type: {'service' if kind == 'api' else kind}",
            "  lifecycle: experimental",
            f"  owner: {answers['organisation']}",
            f"  system: {slug.replace('_', '-')}",
            "  dependsOn:",
            f"    - component:{_member(slug, 'contracts')}",
        ]
    )
    return text.rstrip("\n") + "\n" + entity + "\n"


SERVICE_EDITS: dict[str, Edit] = {
    "pyproject.toml": edit_pyproject,
    "Makefile": edit_makefile,
    ".github/workflows/ci.yml": edit_github_ci,
    ".gitlab-ci.yml": edit_gitlab_ci,
    "scripts/deploy.sh": edit_deploy_script,
    f"{K8S_BASE}/kustomization.yaml": edit_kustomization,
    "docs/architecture.md": edit_architecture,
    "catalog-info.yaml": edit_catalog,
}

# The line each edit extends; a shared file without it was rewritten by its team.
ANCHORS: dict[str, str] = {
    "pyproject.toml": r"^\[tool\.uv\.sources\]$",
    "Makefile": r"^SERVICES := ",
    ".github/workflows/ci.yml": r"^\s+service: \[",
    ".gitlab-ci.yml": r"^\s+- SERVICE: \[",
    "scripts/deploy.sh": r"^SERVICES=\(",
    f"{K8S_BASE}/kustomization.yaml": r"^resources:$",
    "docs/architecture.md": r"^\| Service \| Command \|",
    "catalog-info.yaml": r"^kind: System$",
}
