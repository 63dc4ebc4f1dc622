"""The kit's MkDocs site builds with --strict, and its options page is copier.yml's questions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiarch_scaffold.questions import load_questions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_every_asked_question_is_on_the_generated_options_page(site: Path) -> None:
    page = (site / "options" / "index.html").read_text(encoding="utf-8")
    for question in load_questions():
        if question.is_computed:
            continue
        assert f'id="{question.name}"' in page, question.name
        for label in question.choices:
            assert label.replace("&", "&amp;") in page, (question.name, label)


def test_options_page_is_not_hand_maintained() -> None:
    assert not (ROOT / "docs" / "options.md").exists()


def test_every_workflow_has_a_page(site: Path) -> None:
    for page in ("new", "updating", "add", "presets", "audit", "matrix", "portal"):
        assert (site / page / "index.html").is_file(), page
