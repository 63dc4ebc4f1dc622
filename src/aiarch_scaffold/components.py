"""Adds a component (a service) to an existing generated project: ``aiarch add``.

The component is a copier template of its own (``components/service`` in the kit, or any
copier or cookiecutter template given with ``--from``). It is rendered into a staging folder
next to the project; then the new files are moved in and the project's shared files (root
``pyproject.toml``, ``Makefile``, CI, deploy script, Dockerfiles, kustomization, architecture
doc) get the service by small idempotent text edits. Anything that fails or is interrupted
rolls all of it back: the project is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
import json
import keyword
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from aiarch_scaffold import __version__
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.generate import ANSWERS_FILE
from aiarch_scaffold.service_wiring import ANCHORS, SERVICE_EDITS, edit_dockerfile
from aiarch_scaffold.template_source import template_root
from aiarch_scaffold.update import check_clean_git_tree, read_recorded

STAGING_PREFIX = ".aiarch-add-"
SERVICE_COMPONENT = "service"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
# Values a service component reads from the project's own answers.
PROJECT_KEYS = (
    "project_name",
    "project_slug",
    "organisation",
    "python_version",
    "cloud",
    "iac",
    "deploy_target",
    "ci",
)
# Top-level modules the generated project imports (the packages of template/includes/pins.jinja
# and their import names) and the shared contracts: a service package must not shadow them.
PROJECT_MODULES = frozenset(
    {
        "contracts",
        "tests",
        "src",
        "alembic",
        "adlfs",
        "boto3",
        "botocore",
        "fastapi",
        "fsspec",
        "gcsfs",
        "httpx",
        "mlflow",
        "moto",
        "numpy",
        "onnx",
        "onnxruntime",
        "orjson",
        "pandas",
        "pandera",
        "prometheus_client",
        "pyarrow",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "s3fs",
        "skl2onnx",
        "sklearn",
        "skops",
        "sqlalchemy",
        "starlette",
        "upath",
        "uvicorn",
        "yaml",
    }
)
# Kubernetes workloads (and their ServiceAccounts) that are not services/ packages.
WORKLOADS = frozenset({"mlflow"})
Conflict = Literal["inline", "rej"]


@dataclass
class Added:
    """What ``add_service`` / ``add_from`` did."""

    project: Path
    name: str
    created: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    # Shared files whose expected line was not found (edited by hand): wire the service there.
    unwired: list[str] = field(default_factory=list)
    answers_file: str | None = None


def components_root() -> Path:
    """Folder holding the kit's component templates (in the wheel or a checkout)."""
    return template_root() / "components"


def service_kinds() -> list[str]:
    """The kinds the service component offers, read from its copier.yml (the one list)."""
    config = yaml.safe_load(
        (components_root() / SERVICE_COMPONENT / "copier.yml").read_text(encoding="utf-8")
    )
    return [str(value) for value in config["kind"]["choices"].values()]


# ---------------------------------------------------------------- checks


def existing_services(project: Path) -> list[str]:
    services = project / "services"
    if not services.is_dir():
        return []
    return sorted(p.name for p in services.iterdir() if (p / "pyproject.toml").is_file())


def check_service_name(project: Path, name: str) -> None:
    """Refuse names that cannot be a package of this project, in one line."""
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"invalid service name {name!r}: use a lowercase Python identifier, a letter then "
            "letters, digits or '_' (2-31 characters)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"invalid service name {name!r}: it is a Python keyword")
    if name in sys.stdlib_module_names or name in PROJECT_MODULES:
        raise UsageError(
            f"invalid service name {name!r}: it would shadow the module {name!r}; pick another"
        )
    if (project / "services" / name).exists():
        raise UsageError(f"service {name!r} already exists (services/{name}); pick another name")
    command = name.replace("_", "-")
    if command in console_scripts(project) or command in WORKLOADS:
        raise UsageError(
            f"invalid service name {name!r}: the project already has a command or workload "
            f"named {command!r}; pick another"
        )


def console_scripts(project: Path) -> set[str]:
    """Console scripts of every workspace member (a new service's command must be new)."""
    scripts: set[str] = set()
    for path in project.glob("*/*/pyproject.toml"):
        with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
            config = tomllib.loads(path.read_text(encoding="utf-8"))
            scripts |= set(config.get("project", {}).get("scripts", {}))
    return scripts


def check_project(project: Path) -> dict[str, Any]:
    """A generated project in a clean git tree; returns its recorded answers."""
    recorded = read_recorded(project)
    check_clean_git_tree(project)
    return recorded


def next_adr_number(project: Path) -> str:
    numbers = [
        int(match.group(1))
        for path in (project / "docs" / "adr").glob("*.md")
        if (match := re.match(r"^(\d{4})-", path.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


# ---------------------------------------------------------------- transaction


class _Transaction:
    """Files created and files rewritten, undone together on any failure or Ctrl-C."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.created: list[Path] = []
        self.originals: dict[Path, bytes] = {}

    def move_in(self, staging: Path) -> list[str]:
        files = sorted(p for p in staging.rglob("*") if p.is_file() or p.is_symlink())
        for source in files:
            target = self.project / source.relative_to(staging)
            if target.exists() or target.is_symlink():
                raise UsageError(
                    f"{target.relative_to(self.project)} already exists; nothing was changed"
                )
        for source in files:
            target = self.project / source.relative_to(staging)
            for parent in reversed(target.relative_to(self.project).parents[:-1]):
                folder = self.project / parent
                if not folder.exists():
                    folder.mkdir()
                    self.created.append(folder)
            self.created.append(target)
            source.rename(target)
        return [str(p.relative_to(staging)) for p in files]

    def rewrite(self, path: Path, text: str) -> bool:
        old = path.read_bytes()
        if old == text.encode("utf-8"):
            return False
        self.originals.setdefault(path, old)
        path.write_text(text, encoding="utf-8")
        return True

    def rollback(self) -> None:
        for path, content in self.originals.items():
            path.write_bytes(content)
        for path in reversed(self.created):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


@contextlib.contextmanager
def _staging(project: Path) -> Iterator[Path]:
    staging = project.parent / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    try:
        staging.mkdir(mode=0o700)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _transaction(project: Path) -> Iterator[_Transaction]:
    transaction = _Transaction(project)
    try:
        yield transaction
    except BaseException as exc:
        transaction.rollback()
        if isinstance(exc, ScaffoldError):
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise ScaffoldError("interrupted; nothing was changed", exit_code=130) from exc
        detail = str(exc).strip().splitlines()
        raise ScaffoldError(
            f"add failed, nothing was changed: {detail[0] if detail else type(exc).__name__}"
        ) from exc


def component_cache() -> Path:
    """Local git repositories of the kit's components, one commit per kit version seen."""
    override = os.environ.get("AIARCH_COMPONENT_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiarch" / "components"


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=aiarch", "-c", "user.email=aiarch@localhost", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ScaffoldError(f"git {args[0]} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def _git_raw(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def publish_component(name: str = SERVICE_COMPONENT) -> tuple[Path, str]:
    """Commit the installed kit's component ``name`` (with the kit's template/includes) to its
    cache repository, tagged ``v<kit version>+<tree hash>``; returns (repository, tag).

    copier renders and updates from this repository, so a later kit version is a newer tag
    and `copier update` can three-way merge between the two.
    """
    kit = template_root()
    repo = component_cache() / name
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "--quiet", "--initial-branch=main")
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(kit / "components" / name, repo, dirs_exist_ok=True, ignore=ignore)
    shutil.copytree(kit / "template" / "includes", repo / "template" / "includes", ignore=ignore)
    _git(repo, "add", "--all")
    tree = _git(repo, "write-tree")
    tag = f"v{__version__}+{tree[:12]}"
    if tag not in _git(repo, "tag", "--list", tag).splitlines():
        _git(repo, "commit", "--quiet", "--allow-empty", "-m", f"aiarch-scaffold {__version__}")
        _git(repo, "tag", tag)
    return repo, tag


def _render_copier(
    source: Path | str, staging: Path, data: Mapping[str, Any], vcs_ref: str | None = None
) -> None:
    from copier import run_copy

    notes = io.StringIO()
    with contextlib.redirect_stderr(notes):
        run_copy(
            str(source),
            staging,
            vcs_ref=vcs_ref,
            data=dict(data),
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            cleanup_on_error=False,
        )


def _render_cookiecutter(source: Path | str, staging: Path, data: Mapping[str, Any]) -> None:
    from cookiecutter.main import cookiecutter

    out = staging / ".cookiecutter-out"
    out.mkdir()
    cookiecutter(
        str(source),
        no_input=True,
        extra_context=dict(data),
        output_dir=str(out),
        accept_hooks=False,
    )
    produced = list(out.iterdir())
    if len(produced) != 1 or not produced[0].is_dir():
        raise ScaffoldError("the cookiecutter template must produce exactly one folder")
    # A cookiecutter template renders one top-level folder; its content goes into the project.
    for entry in produced[0].iterdir():
        entry.rename(staging / entry.name)
    shutil.rmtree(out)


def _apply_service_edits(
    transaction: _Transaction, project: Path, name: str, answers: Mapping[str, Any]
) -> list[str]:
    edited = []
    for rel, edit in SERVICE_EDITS.items():
        path = project / rel
        if path.is_file() and transaction.rewrite(
            path, edit(path.read_text(encoding="utf-8"), name, answers)
        ):
            edited.append(rel)
    names = existing_services(project)
    for name_ in names:
        dockerfile = project / "services" / name_ / "Dockerfile"
        if dockerfile.is_file() and transaction.rewrite(
            dockerfile, edit_dockerfile(dockerfile.read_text(encoding="utf-8"), names)
        ):
            edited.append(f"services/{name_}/Dockerfile")
    return edited


def service_data(recorded: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    data = {key: recorded[key] for key in PROJECT_KEYS if key in recorded}
    data.update({"service_name": name, "kind": kind})
    return data


def add_service(project: Path, name: str, kind: str, *, summary: str | None = None) -> Added:
    """Render the kit's service component into ``project`` and wire it in, or change nothing."""
    project = project.resolve()
    kinds = service_kinds()
    if kind not in kinds:
        raise UsageError(f"unknown kind {kind!r}; choose one of: {', '.join(kinds)}")
    recorded = check_project(project)
    check_service_name(project, name)
    data = service_data(recorded, name, kind)
    data["adr_number"] = next_adr_number(project)
    if summary is not None:
        data["summary"] = summary
    added = Added(project, name)
    with _staging(project) as staging, _transaction(project) as transaction:
        repo, tag = publish_component(SERVICE_COMPONENT)
        _render_copier(repo, staging, data, vcs_ref=tag)
        added.created = transaction.move_in(staging)
        added.edited = _apply_service_edits(transaction, project, name, data)
    added.unwired = [
        rel
        for rel, anchor in ANCHORS.items()
        if (project / rel).is_file()
        and not re.search(anchor, (project / rel).read_text(encoding="utf-8"), re.MULTILINE)
    ]
    added.answers_file = f".copier-answers.service-{name}.yml"
    return added


# ---------------------------------------------------------------- third-party components


def component_kind(source: Path) -> str:
    """``copier`` or ``cookiecutter``, from the template's config file."""
    if any((source / name).is_file() for name in ("copier.yml", "copier.yaml")):
        return "copier"
    if (source / "cookiecutter.json").is_file():
        return "cookiecutter"
    raise UsageError(
        f"{source} is neither a copier (copier.yml) nor a cookiecutter (cookiecutter.json) template"
    )


def _fetch(source: str, into: Path) -> Path:
    """A local folder as is; a git URL cloned (shallow) into ``into``."""
    local = Path(source).expanduser()
    if local.is_dir():
        return local.resolve()
    if "://" in source or source.startswith("git@"):
        clone = into / "source"
        result = subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", source, str(clone)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise UsageError(f"cannot clone {source}: {result.stderr.strip().splitlines()[-1:]}")
        return clone
    raise UsageError(f"component source {source} is not a folder or a git URL")


def add_from(project: Path, source: str, data: Mapping[str, Any] | None = None) -> Added:
    """Render a third-party copier or cookiecutter component into ``project``.

    The project's answers (project_slug, organisation, cloud...) are offered to the template
    as data; ``data`` overrides them. New files only: an existing file is never overwritten.
    """
    project = project.resolve()
    recorded = check_project(project)
    given = dict(data or {})
    for key, value in given.items():
        if not isinstance(value, str | int | float | bool):
            raise UsageError(f"--data {key} must be a plain value")
    added = Added(project, str(given.get("service_name", given.get("name", ""))))
    with _staging(project) as staging, _transaction(project) as transaction:
        work = staging / ".fetch"
        work.mkdir()
        template = _fetch(source, work)
        kind = component_kind(template)
        render = staging / "render"
        render.mkdir()
        if kind == "copier":
            config = _config_keys(template / "copier.yml")
            context = {k: v for k, v in recorded.items() if k in config and not k.startswith("_")}
            _render_copier(template, render, {**context, **given})
            if template != Path(source).expanduser().resolve():
                _record_source(render, template, source)
        else:
            config = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
            context = {k: v for k, v in recorded.items() if k in config and not k.startswith("_")}
            _render_cookiecutter(template, render, {**context, **given})
        _forbid_answers_clash(render)
        added.created = transaction.move_in(render)
    return added


def _record_source(render: Path, clone: Path, url: str) -> None:
    """A component cloned from a URL records the URL, not the throwaway clone."""
    for answers in render.glob(".copier-answers*.yml"):
        text = answers.read_text(encoding="utf-8")
        answers.write_text(text.replace(f"_src_path: {clone}\n", f"_src_path: {url}\n"))


def _config_keys(path: Path) -> set[str]:
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key) for key in config if not str(key).startswith("_")}


def _forbid_answers_clash(render: Path) -> None:
    if (render / ANSWERS_FILE).exists():
        raise UsageError(
            f"the component writes {ANSWERS_FILE}, the project's own answers file; "
            "give it its own _answers_file"
        )


def component_answers_files(project: Path) -> list[Path]:
    """Answers files of components added to ``project`` (``.copier-answers.*.yml``)."""
    return sorted(project.glob(".copier-answers.*.yml"))


def kit_components(project: Path) -> list[tuple[str, str]]:
    """(answers file, component) of every kit component in ``project``: those whose recorded
    source is a component cache repository (``component_cache()/<name>``, or another
    machine's ``.../components/<name>``) of a kit component."""
    found = []
    for path in component_answers_files(project):
        with contextlib.suppress(OSError, yaml.YAMLError):
            recorded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            source = Path(str(recorded.get("_src_path", "")))
            if (source.parent == component_cache() or source.parent.name == "components") and (
                components_root() / source.name / "copier.yml"
            ).is_file():
                found.append((path.name, source.name))
    return found


def component_update_patch(project: Path, *, conflict: Conflict = "inline") -> str:
    """Update every kit component of ``project`` to the installed kit's version, in a scratch
    clone, and return the change as a binary git diff (empty when nothing changed).

    copier refuses to update a dirty tree, and the project's own update dirties it: the
    components are updated beside it and their diff applied afterwards (their files are
    their own, so the two never touch the same file).
    """
    from copier import run_update

    from aiarch_scaffold.update import scratch_clone

    components = kit_components(project)
    if not components:
        return ""
    recorded = read_recorded(project)
    with scratch_clone(project) as clone:
        base = _git(clone, "rev-parse", "HEAD")
        for answers_file, name in components:
            component = yaml.safe_load((clone / answers_file).read_text(encoding="utf-8"))
            source = Path(str(component["_src_path"]))
            repo, tag = publish_component(name)
            if source != repo:
                raise ScaffoldError(
                    f"{answers_file} was rendered from {source}, not this machine's component "
                    f"cache {repo}; set AIARCH_COMPONENT_CACHE={source.parent} if it is there"
                )
            old = str(component["_commit"])
            if not _git(repo, "tag", "--list", old):
                raise ScaffoldError(
                    f"{answers_file} was rendered from component version {old}, which is not "
                    f"in {repo}; copy the cache of the machine that added it there"
                )
            data = {key: recorded[key] for key in PROJECT_KEYS if key in recorded}
            notes = io.StringIO()
            with contextlib.redirect_stderr(notes):
                run_update(
                    dst_path=clone,
                    answers_file=answers_file,
                    vcs_ref=tag,
                    data=data,
                    defaults=True,
                    overwrite=True,
                    unsafe=False,
                    quiet=True,
                    conflict=conflict,
                    skip_answered=True,
                )
            _git(clone, "add", "--all")
            if _git(clone, "status", "--porcelain"):
                _git(clone, "commit", "--quiet", "--no-verify", "-m", f"update {answers_file}")
        return _git_raw(clone, "diff", "--binary", base, "HEAD")


def apply_patch(project: Path, patch: str) -> None:
    if not patch:
        return
    result = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        cwd=project,
        input=patch,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ScaffoldError(f"could not apply the component updates: {result.stderr.strip()}")


__all__ = [
    "Added",
    "add_from",
    "add_service",
    "apply_patch",
    "check_service_name",
    "component_answers_files",
    "component_kind",
    "component_update_patch",
    "service_kinds",
]
