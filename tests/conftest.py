from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiarch_scaffold.template_source import template_root

REPO_ROOT = Path(__file__).resolve().parents[1]

# Rough extra seconds a pairwise row's `make install/pipeline/check/test` costs per heavy answer,
# from the per-row times in docs/performance.md (a JVM per Spark test process, TensorFlow and
# Airflow imports, cfn-lint/checkov over CloudFormation).
_ROW_COST = {
    ("processing", "spark"): 300,
    ("ml_framework", "tensorflow"): 150,
    ("orchestration", "airflow"): 150,
    ("ml_framework", "pytorch"): 80,
    ("orchestration", "kubeflow"): 60,
    ("iac", "cloudformation"): 40,
    ("streaming", "kafka"): 30,
    ("feature_store", "feast"): 30,
}


def _expected_cost(item: pytest.Item) -> int:
    if item.get_closest_marker("slow") is None:
        return 0
    if getattr(item, "originalname", "") != "test_pairwise_variant_checks_and_tests_pass":
        return 100
    answers = item.callspec.params["answers"]
    heavy = (cost for (name, value), cost in _ROW_COST.items() if answers.get(name) == value)
    return 120 + sum(heavy)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: with two xdist workers, a heavy pairwise row that starts last leaves the
    other worker idle for its whole run; started first, the light tests fill in behind it.
    xdist keeps this order only with --no-loadscope-reorder (scripts/test passes it)."""
    items.sort(key=lambda item: -_expected_cost(item))


@pytest.fixture(autouse=True)
def _quiet_copier_warnings(recwarn: pytest.WarningsRecorder) -> None:
    """copier warns about dirty checkouts while we develop; those are not test failures."""


@pytest.fixture(autouse=True)
def _no_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The developer's ~/.config/aiarch (org defaults, team presets) must not reach any test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture(autouse=True)
def _copier_mirrors_per_worker(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """copier keeps one mirror per template URL, refreshed (with --prune) on every run from
    whatever that URL is redirected to. Tests on other xdist workers redirect the kit's stable
    URLs to caches of their own at the same time; one worker's refresh must not move refs
    under another's render. Within a worker, tests run one at a time, which copier handles."""
    monkeypatch.setenv("COPIER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "copier-mirrors"))


@pytest.fixture(autouse=True)
def _drop_bytecode_of_test_folder(request: pytest.FixtureRequest) -> Iterator[None]:
    """Bytecode of a test folder's virtualenv goes with the folder.

    scripts/test sends bytecode to one PYTHONPYCACHEPREFIX, mirrored by absolute path: each
    generated project's virtualenv leaves hundreds of MB there (TensorFlow, Spark) that no later
    test reads, and a clean-clone CI run of the pairwise rows ran out of disk on it.
    """
    prefix = os.environ.get("PYTHONPYCACHEPREFIX")
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if prefix and folder is not None:
        shutil.rmtree(Path(prefix) / folder.relative_to(folder.anchor), ignore_errors=True)


@pytest.fixture()
def template_copy(tmp_path: Path) -> Path:
    """A plain-folder copy of the template the test may break without touching the repo."""
    import shutil

    root = tmp_path / "template-src"
    root.mkdir()
    shutil.copy2(template_root() / "copier.yml", root / "copier.yml")
    shutil.copytree(template_root() / "template", root / "template")
    return root


@pytest.fixture(scope="session")
def committed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree's template committed in a repository of its own.

    A project rendered from a checkout with uncommitted changes records a commit copier made
    in a throwaway copy; `aiarch add service` renders the project again at its recorded
    version, which then cannot be found. Rendering from this clean snapshot records a commit
    that exists, with the changes under test in it.
    """
    import shutil
    import subprocess

    root = tmp_path_factory.mktemp("committed-template") / "kit"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", root / "copier.yml")
    for folder in ("template", "migrations"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "snapshot"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root
