from __future__ import annotations

import subprocess
from pathlib import Path

from aiarch_scaffold.template_source import git_toplevel


def test_git_toplevel_names_the_work_tree_root_or_none(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    assert git_toplevel(outside) is None
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert git_toplevel(repo / "sub") == repo.resolve()
