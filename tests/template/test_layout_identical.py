"""The layout refactoring (computed values in copier.yml, docs/adr/0003) changes no output.

Every pairwise and every `each` row is rendered twice, by this checkout's library: from the
template as it was at BASELINE and as the refactoring left it at REFACTORED (both extracted from
this repository's own history with `git archive`). Both file sets and every file's bytes must
match, except for the short list of intended changes below. Later changes are meant to alter
the output, so the refactoring is pinned by its two commits rather than compared with HEAD; the
test still fails if the kit's rendering (copier, the adapter, computed values) stops treating
the two layouts alike.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.matrix import compute, row_id
from aiarch_scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT
from tests.template.rendered import empty_folders

BASELINE = "501d1c8"
REFACTORED = "f9283bb"
ANSWERS_FILE = ".copier-answers.yml"

Answers = dict[str, object]


def _has_cloud(answers: Answers) -> bool:
    return answers.get("cloud", "local") != "local"


def _on_kubernetes(answers: Answers) -> bool:
    return _has_cloud(answers) and answers.get("deploy_target") == "kubernetes"


# Files the working tree adds on purpose (issue 9, point 4): the scanner config in the root.
ADDED: dict[str, Callable[[Answers], bool]] = {
    ".checkov.yaml": lambda answers: True,
}
# Files whose content changes on purpose (issue 9, point 4): `make check` runs checkov with the
# config above, and the Kubernetes docs say that checkov scans the built kustomizations. Each
# must differ exactly where listed, so the list stays exact.
CHANGED: dict[str, Callable[[Answers], bool]] = {
    "tools/check.py": lambda answers: True,
    "deploy/kubernetes/README.md": lambda answers: _on_kubernetes(answers),
    "docs/security.md": lambda answers: _on_kubernetes(answers),
}
# Folders that held no file in the baseline (issue 9, point 5): gone now.
EMPTIED: dict[str, Callable[[Answers], bool]] = {
    "deploy": lambda answers: not _on_kubernetes(answers),
    "infra": lambda answers: not _has_cloud(answers),
    "scripts": lambda answers: not _has_cloud(answers),
    "scripts/deploy": lambda answers: not _has_cloud(answers),
}


def _baseline_questions() -> dict[str, set[object] | None]:
    """The questions both pinned commits ask (later questions did not exist yet), each with
    the values it offered then (None: any value)."""
    shown = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{BASELINE}:copier.yml"],
        capture_output=True,
        check=True,
    )
    questions = {}
    for key, spec in yaml.safe_load(shown.stdout).items():
        if key.startswith("_"):
            continue
        choices = spec.get("choices") if isinstance(spec, dict) else None
        if isinstance(choices, dict):
            questions[key] = set(choices.values())
        elif isinstance(choices, list):
            questions[key] = set(choices)
        else:
            questions[key] = None
    return questions


def _rows() -> list[Answers]:
    """Today's rows as the baseline could answer them: later questions, and values a question
    did not offer yet (use_case=clv, segmentation or pricing), are left to the baseline's
    defaults."""
    known = _baseline_questions()
    rows: list[Answers] = []
    for row in compute("pairwise") + compute("each"):
        row = {
            key: value
            for key, value in row.items()
            if key in known and (known[key] is None or value in known[key])
        }
        if row not in rows:
            rows.append(row)
    return rows


ROWS = _rows()
pytestmark = pytest.mark.slow


def _extract(commit: str, target: Path) -> TemplateSource:
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit, "copier.yml", "template"],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        pytest.fail(
            f"commit {commit} is not in this clone's history "
            f"(fetch full history): {archive.stderr.decode(errors='replace').strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return TemplateSource(root=target)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[TemplateSource, TemplateSource]:
    """(baseline, refactored) as plain folders: deterministic and fast (no git per file)."""
    root = tmp_path_factory.mktemp("layout")
    return _extract(BASELINE, root / "baseline"), _extract(REFACTORED, root / "refactored")


def _tree(project: Path) -> tuple[dict[str, bytes], set[str]]:
    """Files (path -> bytes, plus a marker when executable) and folders of a rendered project,
    paths relative and POSIX."""
    files: dict[str, bytes] = {}
    folders: set[str] = set()
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project).as_posix()
        if path.is_dir():
            folders.add(rel)
        else:
            data = path.read_bytes()
            if rel == ANSWERS_FILE:
                # The one line that names where the template was read from (two temp folders).
                data = b"".join(
                    line
                    for line in data.splitlines(keepends=True)
                    if not line.startswith(b"_src_path:")
                )
            # The executable bit is part of what a user gets (scripts/, tools/).
            files[rel] = data + (b"\0+x" if path.stat().st_mode & 0o111 else b"")
    return files, folders


@pytest.mark.parametrize("answers", ROWS, ids=[row_id(r) for r in ROWS])
def test_layout_renders_the_same_project(
    tmp_path: Path, templates: tuple[TemplateSource, TemplateSource], answers: Answers
) -> None:
    baseline_source, current_source = templates
    before = create_project(tmp_path / "before", answers, source=baseline_source).destination
    after = create_project(tmp_path / "after", answers, source=current_source).destination
    old_files, old_folders = _tree(before)
    new_files, new_folders = _tree(after)

    added = {rel for rel, applies in ADDED.items() if applies(answers)}
    emptied = {rel for rel, applies in EMPTIED.items() if applies(answers)}
    assert set(new_files) - set(old_files) == added
    assert set(old_files) - set(new_files) == set()
    assert old_folders - new_folders == emptied
    assert new_folders - old_folders == set()
    for rel in emptied:
        held = [path for path in (before / rel).rglob("*") if path.is_file()]
        assert held == [], f"{rel} held files in the baseline"
    assert empty_folders(after) == []
    changed = {rel for rel, applies in CHANGED.items() if applies(answers)}
    differing = {rel for rel in old_files if old_files[rel] != new_files[rel]}
    assert differing == changed, f"rendered differently from {BASELINE}: {sorted(differing)}"
