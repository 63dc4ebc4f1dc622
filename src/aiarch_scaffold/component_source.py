"""Where a kit component's versions come from: the kit's own git history, anywhere it is installed.

A component (``components/<name>`` plus the kit's ``template/includes``) has no repository of
its own. Each version of it is *derived* from one kit commit: a git commit holding those two
folders of that kit commit, tagged with the kit version as PEP 440 (``v0.3.0`` for a release,
``v0.3.0.post15+g0123456789ab`` for the 15th commit after it, whose kit commit the tag names).
A project records the component's stable URL (``component_url``) and that tag; the derived
commits live in a cache repository that any machine rebuilds from the kit history it has
(the wheel's ``history.bundle`` and ``REF``, or a git checkout of the kit). copier reads the
URL through git ``insteadOf`` set in the environment only (as ``update.py`` does for the main
template), so nothing machine-specific is written to the project.

A kit without history (a plain folder) still works on the machine that adds the service:
``publish_snapshot`` commits the folder as it is; such a version cannot be rebuilt elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiarch_scaffold import __version__, releases
from aiarch_scaffold.errors import ScaffoldError
from aiarch_scaffold.template_source import git_toplevel, public_url

BUNDLE = "history.bundle"
REF_FILE = "REF"
_KIT = "refs/kit"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "aiarch",
    "GIT_AUTHOR_EMAIL": "aiarch@localhost",
    "GIT_COMMITTER_NAME": "aiarch",
    "GIT_COMMITTER_EMAIL": "aiarch@localhost",
}
_DESCRIBE = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<sha>[0-9a-f]{7,40})$")
_DERIVED = re.compile(r"^(?P<tag>v?[0-9][^+]*?)\.post(?P<count>\d+)\+g(?P<sha>[0-9a-f]{7,40})$")


@dataclass(frozen=True)
class KitHistory:
    """A git source of the kit's commits (a repository or a bundle) and the installed commit."""

    source: Path
    ref: str


def component_url(name: str) -> str:
    """The stable source a project records for kit component ``name``."""
    return f"{public_url().removesuffix('.git')}/components/{name}.git"


def component_name(url: str) -> str | None:
    """The kit component a recorded ``_src_path`` names, if it is a component URL."""
    prefix = f"{public_url().removesuffix('.git')}/components/"
    if url.startswith(prefix) and url.endswith(".git"):
        return url[len(prefix) : -len(".git")] or None
    return None


def component_cache() -> Path:
    """Cache of derived component repositories (rebuilt from the kit history when missing)."""
    override = os.environ.get("AIARCH_COMPONENT_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiarch" / "components"


def kit_history(root: Path) -> KitHistory | None:
    """The history of the kit at ``root``: the wheel's bundle, a git checkout, or none."""
    bundle, ref = root / BUNDLE, root / REF_FILE
    if bundle.is_file() and ref.is_file():
        return KitHistory(bundle, ref.read_text(encoding="utf-8").strip())
    if git_toplevel(root) == root.resolve():
        return KitHistory(root, "HEAD")
    return None


def _git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **_IDENTITY, **(env or {})},
    )
    if result.returncode != 0:
        raise ScaffoldError(f"git {args[0]} failed in {repo}: {result.stderr.strip()}")
    return result.stdout.strip()


def _ok(repo: Path, *args: str) -> bool:
    return (
        subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False).returncode == 0
    )


def _repository(name: str) -> Path:
    repo = component_cache() / f"{name}.git"
    if not (repo / "HEAD").is_file():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "--quiet", "--bare", "--initial-branch=main")
    return repo


def _fetch_history(repo: Path, history: KitHistory) -> None:
    """The kit's commits into ``repo`` under refs/kit/ (never its own refs/tags)."""
    specs = [f"+refs/tags/*:{_KIT}/tags/*", f"+refs/heads/*:{_KIT}/heads/*"]
    if history.ref == "HEAD":
        specs.append(f"+HEAD:{_KIT}/HEAD")
    _git(repo, "fetch", "--quiet", "--no-tags", str(history.source), *specs)


def _kit_commit(repo: Path, ref: str) -> str | None:
    """The kit commit a kit ref or a derived tag names, in ``repo``'s fetched kit history."""
    candidates = [f"{_KIT}/HEAD"] if ref == "HEAD" else [f"{_KIT}/tags/{ref}"]
    if match := _DESCRIBE.fullmatch(ref) or _DERIVED.fullmatch(ref):
        candidates.append(match.group("sha"))
    with_v = ref if ref.startswith("v") else f"v{ref}"
    candidates.append(f"{_KIT}/tags/{with_v}")
    for release in releases.installed():
        if release.tag == with_v:
            candidates.append(release.commit)
    for candidate in candidates:
        if _ok(repo, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"):
            return _git(repo, "rev-parse", f"{candidate}^{{commit}}")
    return None


def _version_tag(repo: Path, commit: str) -> str:
    """PEP 440 tag of a kit commit: its release, or the release before it plus the distance."""
    bases: list[tuple[str, str]] = []
    for ref in _git(repo, "for-each-ref", "--format=%(refname:strip=3)", f"{_KIT}/tags").split():
        if releases.as_version(ref) is not None:
            bases.append((ref, _git(repo, "rev-parse", f"{_KIT}/tags/{ref}^{{commit}}")))
    bases += [(release.tag, release.commit) for release in releases.installed()]
    best: tuple[int, str] | None = None
    for tag, base in bases:
        if not _ok(repo, "merge-base", "--is-ancestor", base, commit):
            continue
        distance = int(_git(repo, "rev-list", "--count", f"{base}..{commit}"))
        if best is None or distance < best[0]:
            best = (distance, tag)
    if best is None:
        return f"v0.post{_git(repo, 'rev-list', '--count', commit)}+g{commit[:12]}"
    distance, tag = best
    return tag if distance == 0 else f"{tag}.post{distance}+g{commit[:12]}"


def _derive(repo: Path, name: str, commit: str, tag: str) -> None:
    """Commit ``components/<name>`` + ``template/includes`` of kit ``commit``, tagged ``tag``."""
    if _ok(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"):
        return
    if not _ok(repo, "cat-file", "-e", f"{commit}:components/{name}/copier.yml"):
        raise ScaffoldError(f"kit commit {commit[:12]} has no component {name!r}")
    with tempfile.TemporaryDirectory(prefix="aiarch-index-") as tmp:
        # read-tree --prefix wants a work tree; an empty one is never read or written.
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": tmp}
        _git(repo, "read-tree", f"{commit}:components/{name}", env=env)
        _git(
            repo, "read-tree", "--prefix=template/includes/", f"{commit}:template/includes", env=env
        )
        tree = _git(repo, "write-tree", env=env)
    # One kit commit derives one commit everywhere: every input of its hash is fixed by the kit
    # commit, so two caches (two machines, or a cache rebuilt) agree on what a tag names.
    date = _git(repo, "log", "-1", "--format=%cd", "--date=raw", commit)
    dated = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    message = f"{name} component of aiarch-scaffold {commit}"
    derived = _git(repo, "commit-tree", "--no-gpg-sign", tree, "-m", message, env=dated)
    _git(repo, "tag", tag, derived)


def prepare(name: str, history: KitHistory, recorded: str | None = None) -> tuple[Path, str]:
    """The component's cache repository holding the installed kit's version (and ``recorded``,
    a tag a project recorded earlier, rebuilt from the history when missing); returns
    (repository, the installed version's tag)."""
    repo = _repository(name)
    _fetch_history(repo, history)
    commit = _kit_commit(repo, history.ref)
    if commit is None:
        raise ScaffoldError(f"the kit history {history.source} lacks its own commit {history.ref}")
    tag = _version_tag(repo, commit)
    _derive(repo, name, commit, tag)
    if recorded is not None and not _ok(
        repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{recorded}"
    ):
        old = _kit_commit(repo, recorded)
        if old is None:
            raise ScaffoldError(
                f"component version {recorded} names a kit commit that is not in the installed "
                f"kit's history ({history.source}); install a kit that contains it"
            )
        _derive(repo, name, old, recorded)
    return repo, tag


def redirect_env(name: str, repo: Path) -> dict[str, str]:
    """git configuration, via environment only, that reads the component URL from ``repo``."""
    from aiarch_scaffold import update  # the one redirect, for the project and its components

    return update.redirect_env(component_url(name), repo)


def publish_snapshot(root: Path, name: str) -> tuple[Path, str]:
    """A kit without history: commit the folder as it is to a machine-local repository,
    tagged ``v<kit version>+<tree hash>``; returns (repository, tag)."""
    repo = component_cache() / name
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "--quiet", "--initial-branch=main")
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "components" / name, repo, dirs_exist_ok=True, ignore=ignore)
    shutil.copytree(root / "template" / "includes", repo / "template" / "includes", ignore=ignore)
    _git(repo, "add", "--all")
    tree = _git(repo, "write-tree")
    tag = f"v{__version__}+{tree[:12]}"
    if tag not in _git(repo, "tag", "--list", tag).splitlines():
        _git(repo, "commit", "--quiet", "--allow-empty", "-m", f"aiarch-scaffold {__version__}")
        _git(repo, "tag", tag)
    return repo, tag


__all__ = [
    "KitHistory",
    "component_cache",
    "component_name",
    "component_url",
    "kit_history",
    "prepare",
    "publish_snapshot",
    "redirect_env",
]
