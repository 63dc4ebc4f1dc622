"""The release record (releases.toml) agrees with history, and `update --to` resolves through it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version
from typer.testing import CliRunner

from aiarch_scaffold import __version__, releases
from aiarch_scaffold.cli import app
from aiarch_scaffold.errors import ScaffoldError, UsageError
from aiarch_scaffold.update import plan_update
from tests.conftest import REPO_ROOT

VERSION_FILE = "src/aiarch_scaffold/__init__.py"
RECORD = releases.load(REPO_ROOT / releases.RECORD_FILE)


def git(*args: str, cwd: Path = REPO_ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _declared_version(commit: str) -> Version:
    text = git("show", f"{commit}:{VERSION_FILE}")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert match, f"no __version__ in {VERSION_FILE} at {commit}"
    return Version(match[1])


def _is_final(version: Version) -> bool:
    return not (version.is_prerelease or version.is_devrelease or version.is_postrelease)


def test_the_record_lists_the_released_versions() -> None:
    assert [str(r.version) for r in RECORD[:2]] == ["0.1.0", "0.2.0"]
    assert releases.installed() == RECORD  # a checkout reads its own record


@pytest.mark.parametrize("release", RECORD, ids=lambda r: r.tag)
def test_each_recorded_commit_is_that_release_in_the_history_of_head(
    release: releases.Release,
) -> None:
    probe = subprocess.run(
        ["git", "cat-file", "-e", f"{release.commit}^{{commit}}"], cwd=REPO_ROOT, check=False
    )
    assert probe.returncode == 0, (
        f"{release.tag} commit {release.commit} is not in this clone (shallow? `git fetch "
        "--unshallow`) or history was rewritten"
    )
    ancestor = subprocess.run(
        ["git", "merge-base", "--is-ancestor", release.commit, "HEAD"], cwd=REPO_ROOT, check=False
    )
    assert ancestor.returncode == 0, f"{release.tag} commit is not an ancestor of HEAD"
    assert _declared_version(release.commit) == release.version
    assert git("show", "-s", "--format=%cs", release.commit) == release.date.isoformat()


def test_versions_increase_and_the_package_is_newer_than_the_last_release() -> None:
    versions = [r.version for r in RECORD]
    assert versions == sorted(set(versions))
    assert Version(__version__) > RECORD[-1].version
    assert _declared_version("HEAD") == Version(__version__)


def test_every_released_version_is_recorded() -> None:
    """A final version the package declared and then moved on from was released: record it.

    The release commit itself cannot hold its own SHA, so a final version that is not recorded
    yet is allowed on the commit that set it, and on no later commit.
    """
    recorded = {r.version for r in RECORD}
    current = Version(__version__)
    declared = {
        _declared_version(commit)
        for commit in git("log", "--format=%H", "--", VERSION_FILE).split()
    }
    missing = sorted(v for v in declared if _is_final(v) and v != current and v not in recorded)
    assert not missing, f"released but not in {releases.RECORD_FILE}: {missing}"
    if _is_final(current) and current not in recorded:
        set_by = git("log", "-1", "--format=%H", f'-S__version__ = "{current}"', "--", VERSION_FILE)
        head = git("rev-parse", "HEAD")
        assert set_by == head, (
            f"{current} was released at {set_by}: record it in {releases.RECORD_FILE} and move "
            f"{VERSION_FILE} to the next .dev0 version"
        )


GOOD = """
[[release]]
version = "1.0.0"
commit = "{sha}"
date = 2026-01-02
summary = "first"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.format(sha="abc123"), "full 40-character"),
        (GOOD.format(sha="a" * 40).replace('"1.0.0"', '"1.0.0rc1"'), "plain X.Y.Z"),
        (GOOD.format(sha="a" * 40).replace('"1.0.0"', '"v1.0.0"'), "plain X.Y.Z"),
        (GOOD.format(sha="a" * 40).replace('summary = "first"\n', ""), "exactly version"),
        (GOOD.format(sha="a" * 40).replace("2026-01-02", '"yesterday"'), "TOML date"),
        (GOOD.format(sha="a" * 40) + GOOD.format(sha="b" * 40), "versions must increase"),
        (
            GOOD.format(sha="a" * 40) + GOOD.format(sha="a" * 40).replace("1.0.0", "1.1.0"),
            "two versions",
        ),
        ("[tool]\nx = 1\n", "only [[release]]"),
    ],
    ids=[
        "short-sha",
        "pre-release",
        "v-prefix",
        "no-summary",
        "string-date",
        "not-increasing",
        "same-commit",
        "other-table",
    ],
)
def test_a_malformed_record_is_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=re.escape(message)) as caught:
        releases.parse(text)
    assert "\n" not in str(caught.value)


def test_find_accepts_both_spellings_and_lists_known_versions() -> None:
    assert releases.find(RECORD, "0.1.0") == releases.find(RECORD, "v0.1.0") == RECORD[0]
    with pytest.raises(UsageError) as caught:
        releases.find(RECORD, "0.0.9")
    assert str(caught.value) == (
        "unknown version '0.0.9'; released versions: " + ", ".join(str(r.version) for r in RECORD)
    )


@pytest.fixture()
def project_of(tmp_path: Path) -> Path:
    """A generated project's answers pointing at a template repository without tags."""
    template = tmp_path / "template-repo"
    template.mkdir()
    (template / "copier.yml").write_text("x: 1\n")
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "c", cwd=template)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".copier-answers.yml").write_text(f"_src_path: {template}\n_commit: abc1234\n")
    return project


@pytest.mark.parametrize("spelling", ["0.1.0", "v0.1.0"])
def test_update_to_a_version_uses_the_record_when_the_source_has_no_tags(
    project_of: Path, spelling: str
) -> None:
    assert plan_update(project_of, to=spelling).to_ref == RECORD[0].commit


def test_update_to_a_version_uses_the_tag_when_the_source_has_it(project_of: Path) -> None:
    source = project_of.parent / "template-repo"
    git("tag", "v0.1.0", cwd=source)
    git("tag", "v7.0.0", cwd=source)  # a fork's own release, unknown to our record
    assert plan_update(project_of, to="0.1.0").to_ref == "v0.1.0"
    assert plan_update(project_of, to="7.0.0").to_ref == "v7.0.0"


def test_update_without_to_moves_to_the_newest_recorded_release(project_of: Path) -> None:
    assert plan_update(project_of).to_ref == RECORD[-1].commit


def test_update_refs_that_are_not_versions_pass_through(project_of: Path) -> None:
    assert plan_update(project_of, to="main").to_ref == "main"


def test_cli_update_to_an_unknown_version_is_a_one_line_error(project_of: Path) -> None:
    git("init", "-q", cwd=project_of)
    git("add", "-A", cwd=project_of)
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "g", cwd=project_of)
    result = CliRunner().invoke(app, ["update", str(project_of), "--defaults", "--to", "9.9.9"])
    assert result.exit_code == 2
    known = ", ".join(str(r.version) for r in RECORD)
    assert result.stderr == f"Error: unknown version '9.9.9'; released versions: {known}\n"
