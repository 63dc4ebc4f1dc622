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
from plumbum import local

from aiarch_scaffold import component_source
from aiarch_scaffold.component_source import component_cache
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.generate import ANSWERS_FILE
from aiarch_scaffold.service_wiring import ANCHORS, SERVICE_EDITS, edit_dockerfile
from aiarch_scaffold.template_source import template_root
from aiarch_scaffold.update import check_clean_git_tree, read_recorded, rerender

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


# Google Cloud service account ids are 6-30 characters and the project names each workload's
# account NAME-ENVIRONMENT (`-prod` the longest environment suffix).
GCP_ACCOUNT_ID_MAX = 30
GCP_LONGEST_ENV_SUFFIX = len("-prod")


def check_cloud_limits(recorded: dict[str, Any], name: str) -> None:
    """Refuse names the project's cloud cannot hold, before anything is written."""
    longest = GCP_ACCOUNT_ID_MAX - GCP_LONGEST_ENV_SUFFIX
    if recorded.get("cloud") == "gcp" and len(name) > longest:
        raise UsageError(
            f"invalid service name {name!r}: on Google Cloud a service name has at most "
            f"{longest} characters (its service account id is NAME-prod, at most "
            f"{GCP_ACCOUNT_ID_MAX})"
        )


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

    def write(self, path: Path, content: bytes) -> None:
        """Create or replace ``path`` (its folders too), undone by ``rollback``."""
        if path.exists() or path.is_symlink():
            self.originals.setdefault(path, path.read_bytes())
        else:
            for parent in reversed(path.relative_to(self.project).parents[:-1]):
                folder = self.project / parent
                if not folder.exists():
                    folder.mkdir()
                    self.created.append(folder)
            self.created.append(path)
        path.write_bytes(content)

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


@dataclass(frozen=True)
class Published:
    """A kit component version copier can read: the source to record, its tag, and the git
    environment that makes that source readable here (empty for a machine-local snapshot)."""

    src: str
    tag: str
    env: dict[str, str] = field(default_factory=dict)


def publish_component(name: str = SERVICE_COMPONENT, recorded: str | None = None) -> Published:
    """The installed kit's version of component ``name`` (and ``recorded``, a version a project
    recorded, rebuilt from the kit history when this machine has not seen it).

    With kit history (the wheel's bundle, or a git checkout) the source is the component's
    stable URL, read from a cache repository derived from that history; without it, a
    machine-local snapshot of the folder (see component_source.py).
    """
    root = template_root()
    history = component_source.kit_history(root)
    if history is None:
        repo, tag = component_source.publish_snapshot(root, name)
        return Published(str(repo), tag)
    repo, tag = component_source.prepare(name, history, recorded)
    return Published(
        component_source.component_url(name), tag, component_source.redirect_env(name, repo)
    )


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


def _render_copier(
    source: Path | str,
    staging: Path,
    data: Mapping[str, Any],
    vcs_ref: str | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    from copier import run_copy

    notes = io.StringIO()
    with contextlib.redirect_stderr(notes), local.env(**(env or {})):
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


def _record_answer(project: Path, listed: Mapping[str, str]) -> dict[str, bytes]:
    """``.copier-answers.yml`` with ``added_services`` as the template writes it
    (``to_nice_yaml(indent=2)``; {} when the project's template version lacks the answer)."""
    text = (project / ANSWERS_FILE).read_text(encoding="utf-8")
    block = yaml.safe_dump(
        {"added_services": dict(listed)}, indent=2, allow_unicode=True, default_flow_style=False
    )
    new, count = re.subn(r"^added_services:.*\n(?:[ ]+.*\n)*", block, text, flags=re.MULTILINE)
    return {ANSWERS_FILE: new.encode("utf-8")} if count == 1 else {}


def _rerender(
    project: Path, data: Mapping[str, Any]
) -> tuple[dict[str, bytes], list[str], str | None]:
    """``update.rerender``, or why the project's own version could not be rendered again
    (e.g. its template source is gone): the service is then added without it, and named."""
    try:
        rendered, conflicts = rerender(project, data)
    except ScaffoldError as exc:
        if exc.exit_code == 130:
            raise
        return {}, [], f"cannot render the project again at its version: {exc}"
    return rendered, conflicts, None


def add_service(project: Path, name: str, kind: str, *, summary: str | None = None) -> Added:
    """Render the kit's service component into ``project`` and wire it in, or change nothing."""
    project = project.resolve()
    kinds = service_kinds()
    if kind not in kinds:
        raise UsageError(f"unknown kind {kind!r}; choose one of: {', '.join(kinds)}")
    recorded = check_project(project)
    check_service_name(project, name)
    check_cloud_limits(recorded, name)
    data = service_data(recorded, name, kind)
    data["adr_number"] = next_adr_number(project)
    if summary is not None:
        data["summary"] = summary
    added = Added(project, name)
    with _staging(project) as staging, _transaction(project) as transaction:
        # The service joins the project's answers (added_services), and copier renders the
        # project again at its own version: every file the template writes from that list
        # (the infrastructure's registries, identities, Kubernetes overlays) gets the service
        # the way a later `copier update` renders it too, so no update takes it out again.
        listed = {**(recorded.get("added_services") or {}), name: kind}
        rendered_from_answers = recorded.get("cloud", "local") != "local"
        if not rendered_from_answers:
            # No infrastructure, no overlays: nothing else renders from the list, so the
            # answer is written as copier writes it, without rendering the project twice.
            rendered, not_rendered = _record_answer(project, listed), None
            conflicts: list[str] = []
        else:
            rendered, conflicts, not_rendered = _rerender(project, {"added_services": listed})
        published = publish_component(SERVICE_COMPONENT)
        _render_copier(published.src, staging, data, vcs_ref=published.tag, env=published.env)
        added.created = transaction.move_in(staging)
        for rel, content in sorted(rendered.items()):
            transaction.write(project / rel, content)
        edited = _apply_service_edits(transaction, project, name, data)
        added.edited = [*edited, *sorted(rel for rel in rendered if rel not in edited)]
    added.unwired = [f"{rel} (edited by hand: the re-render conflicts)" for rel in conflicts]
    if not_rendered:
        added.unwired.append(f"infra/ and deploy/ overlays ({not_rendered}): list it by hand")
    elif rendered_from_answers and name not in (read_recorded(project).get("added_services") or {}):
        added.unwired.append(
            "infra/ and deploy/ overlays (the project's template version predates "
            "added_services; after `aiarch update` they list added services): list it by hand"
        )
    added.unwired += [
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


def _kit_component(src: str) -> str | None:
    """The kit component a recorded ``_src_path`` is: its stable URL, or (a kit without
    history) a snapshot repository ``.../components/<name>`` of this or another machine."""
    name = component_source.component_name(src)
    if name is None and "://" not in src:
        path = Path(src)
        if path.parent == component_cache() or path.parent.name == "components":
            name = path.name
    if name is not None and (components_root() / name / "copier.yml").is_file():
        return name
    return None


def kit_components(project: Path) -> list[tuple[str, str]]:
    """(answers file, component) of every kit component in ``project``."""
    found = []
    for path in component_answers_files(project):
        with contextlib.suppress(OSError, yaml.YAMLError):
            recorded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            name = _kit_component(str(recorded.get("_src_path", "")))
            if name is not None:
                found.append((path.name, name))
    return found


def published_for(answers_file: str, name: str, source: str, old: str) -> Published:
    """The installed version of a component a project recorded as ``source`` at ``old``."""
    if component_source.component_name(source) is not None:
        published = publish_component(name, recorded=old)
        if published.src == source:
            return published
    repo, tag = component_source.publish_snapshot(template_root(), name)
    if source != str(repo):
        raise ScaffoldError(
            f"{answers_file} was rendered from {source}, not this machine's component "
            f"cache {repo}; set AIARCH_COMPONENT_CACHE={Path(source).parent} if it is there"
        )
    if not _git(repo, "tag", "--list", old):
        raise ScaffoldError(
            f"{answers_file} was rendered from component version {old}, which is not "
            f"in {repo}; copy the cache of the machine that added it there"
        )
    return Published(str(repo), tag)


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
            published = published_for(
                answers_file, name, str(component["_src_path"]), str(component["_commit"])
            )
            data = {key: recorded[key] for key in PROJECT_KEYS if key in recorded}
            notes = io.StringIO()
            with contextlib.redirect_stderr(notes), local.env(**published.env):
                run_update(
                    dst_path=clone,
                    answers_file=answers_file,
                    vcs_ref=published.tag,
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
    "check_cloud_limits",
    "check_service_name",
    "component_answers_files",
    "component_kind",
    "component_update_patch",
    "kit_components",
    "published_for",
    "service_kinds",
]
