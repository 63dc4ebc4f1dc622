"""What plain ``copier update`` needs on this machine to update a project and its components.

A project records stable URLs (the kit's, and ``…/components/NAME.git`` for each service added
with ``aiarch add service``) that no server answers; ``aiarch update`` lets git read them from
the installed kit's history through ``insteadOf`` redirects set in copier's environment only
(``update.redirect_env``). This module gives the same redirects as shell lines, after filling
the component cache with the versions the project records, so plain copier works too.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from aiarch_scaffold import components
from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.update import plan_update, read_recorded


@dataclass(frozen=True)
class PlainCopier:
    """git settings (``GIT_CONFIG_*`` variables) and the copier commands they serve."""

    env: dict[str, str]
    commands: list[str] = field(default_factory=list)


def merge_git_env(envs: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """One ``GIT_CONFIG_COUNT`` list holding every setting of ``envs`` once, in order."""
    pairs: list[tuple[str, str]] = []
    for env in envs:
        for index in range(int(env.get("GIT_CONFIG_COUNT", "0"))):
            pair = (env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"])
            if pair not in pairs:
                pairs.append(pair)
    merged = {"GIT_CONFIG_COUNT": str(len(pairs))} if pairs else {}
    for index, (key, value) in enumerate(pairs):
        merged[f"GIT_CONFIG_KEY_{index}"] = key
        merged[f"GIT_CONFIG_VALUE_{index}"] = value
    return merged


def plain_copier(project: Path) -> PlainCopier:
    """The redirects plain copier needs for ``project`` and each of its kit components.

    The component versions the project records are rebuilt into this machine's cache from the
    installed kit's history (as ``aiarch update`` does), so the printed redirects resolve.
    """
    project = project.resolve()
    recorded = read_recorded(project)
    envs = [plan_update(project, to=str(recorded["_commit"])).git_env]
    commands = ["copier update --trust --defaults"]
    for answers_file, name in components.kit_components(project):
        try:
            component = yaml.safe_load((project / answers_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"{answers_file} is not readable: {exc}") from exc
        published = components.published_for(
            answers_file, name, str(component["_src_path"]), str(component["_commit"])
        )
        envs.append(published.env)
        commands.append(f"copier update --defaults --answers-file {answers_file}")
    return PlainCopier(merge_git_env(envs), commands)


def shell_lines(setup: PlainCopier) -> str:
    """``export`` lines for a POSIX shell, then the copier commands as comments."""
    lines = [
        "# git reads the kit's URLs from this machine's copies (environment only, no git config",
        "# file changes). Run in the project's shell, then the copier commands below.",
    ]
    if not setup.env:
        lines.append("# Nothing to redirect: the recorded template sources are local paths.")
    lines += [f"export {key}={shlex.quote(value)}" for key, value in setup.env.items()]
    lines += [f"# {command}" for command in setup.commands]
    return "\n".join(lines)


__all__ = ["PlainCopier", "merge_git_env", "plain_copier", "shell_lines"]
