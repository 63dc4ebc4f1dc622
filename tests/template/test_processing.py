"""processing=pandas|polars|spark: one engine per project, only its library installed, and the
same raw batch gives the same feature table under every engine (issue 12).

Each engine's own tests (services/features/tests/test_features_engine.py, rendered in every
project) run in the `make test` of the pairwise rows, which hold every engine.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.tools import require, run

QUESTIONS = {question.name: question for question in load_questions()}
ENGINES: tuple[str, ...] = tuple(str(value) for value in QUESTIONS["processing"].values)
LIBRARIES = {"polars": "polars", "spark": "pyspark"}
DAY = "2026-01-15"
# The same key everywhere: pseudonyms (hence the sorted tables) must be comparable.
KEY = "k" * 64


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        engine: create_project(
            tmp_path_factory.mktemp(engine) / "p", {"processing": engine}
        ).destination
        for engine in ENGINES
    }


def _dependencies(project: Path, member: str) -> list[str]:
    pyproject = tomllib.loads((project / member / "pyproject.toml").read_text())
    return [str(item) for item in pyproject["project"]["dependencies"]]


def test_every_engine_is_offered() -> None:
    assert ENGINES == ("pandas", "polars", "spark")


@pytest.mark.parametrize("cloud", ["aws"])
def test_spark_is_refused_where_no_managed_spark_is_built(tmp_path: Path, cloud: str) -> None:
    with pytest.raises(
        UsageError, match=r"processing=spark is offered with cloud=local, gcp or azure for now"
    ) as info:
        create_project(tmp_path / "p", {"cloud": cloud, "processing": "spark"})
    assert "\n" not in info.value.message
    assert f"the managed Spark of {cloud} is not finished" in info.value.message
    assert not (tmp_path / "p").exists()


def test_only_the_chosen_engine_is_a_dependency(projects: dict[str, Path]) -> None:
    for engine, project in projects.items():
        members = [
            "packages/contracts",
            *(f"services/{s.name}" for s in (project / "services").iterdir()),
        ]
        everything = [item for member in members for item in _dependencies(project, member)]
        for other, library in LIBRARIES.items():
            present = any(item.startswith(f"{library}>=") for item in everything)
            assert present == (other == engine), (engine, library)
            if present:
                assert any(
                    item.startswith(library) for item in _dependencies(project, "services/features")
                )


def test_the_engine_module_and_settings_follow_the_answer(projects: dict[str, Path]) -> None:
    for engine, project in projects.items():
        source = project / "services/features/src/features"
        text = (source / "engine.py").read_text()
        assert f'name = "{engine}"' in text
        assert (source / "rules.py").exists() == (engine != "pandas")
        settings = (project / "packages/contracts/src/contracts/settings.py").read_text()
        assert ("spark_master" in settings) == (engine == "spark")
        assert (project / "docs/adr/0017-processing-engine.md").is_file()


def test_only_spark_projects_install_a_java_runtime(projects: dict[str, Path]) -> None:
    for engine, project in projects.items():
        dockerfiles = {
            path.parent.name: path.read_text() for path in project.glob("services/*/Dockerfile")
        }
        assert ("openjdk-17-jre-headless=" in dockerfiles["features"]) == (engine == "spark")
        assert all(
            "openjdk" not in text for name, text in dockerfiles.items() if name != "features"
        )
        workflow = (project / ".github/workflows/ci.yml").read_text()
        assert ("openjdk-17-jre-headless" in workflow) == (engine == "spark")
        readme = (project / "README.md").read_text()
        assert ("Java 17" in readme) == (engine == "spark")


@pytest.mark.parametrize("ci", ["gitlab", "jenkins"])
def test_spark_ci_of_every_provider_has_a_java_runtime(tmp_path: Path, ci: str) -> None:
    project = create_project(tmp_path / "p", {"processing": "spark", "ci": ci}).destination
    text = (project / (".gitlab-ci.yml" if ci == "gitlab" else "Jenkinsfile")).read_text()
    assert ("openjdk-17-jre-headless" if ci == "gitlab" else "java -version") in text


# Run with the pandas project's interpreter (the kit itself has no pandas): argv holds
# engine=lake-folder pairs, pandas first. Exits non-zero with the difference.
COMPARE = """
import sys

import pandas as pd

partition = sys.argv[1]
lakes = dict(arg.split("=", 1) for arg in sys.argv[2:])


def table(lake, zone, name, keys):
    frame = pd.read_parquet(f"{lake}/{zone}/customers/{partition}/{name}")
    return frame.sort_values(keys).reset_index(drop=True)


reference = table(lakes["pandas"], "features", "features.parquet", ["customer_id"])
rejected = table(lakes["pandas"], "quarantine", "rejected.parquet", ["customer_id", "reason"])
assert len(reference) > 2900, len(reference)  # mostly valid: no rows lost
assert len(rejected) > 0  # the deliberately invalid rows were caught
for engine, lake in lakes.items():
    features = table(lake, "features", "features.parquet", ["customer_id"])
    assert dict(features.dtypes.astype(str)) == dict(reference.dtypes.astype(str)), engine
    pd.testing.assert_frame_equal(features, reference, rtol=1e-9, atol=0, obj=engine)
    quarantine = table(lake, "quarantine", "rejected.parquet", ["customer_id", "reason"])
    assert quarantine["reason"].tolist() == rejected["reason"].tolist(), engine
    print(engine, len(features), "feature rows,", len(quarantine), "quarantined: equal")
"""


@pytest.mark.slow
def test_every_engine_builds_the_same_features_from_the_same_batch(
    projects: dict[str, Path],
) -> None:
    """Ingest the same seeded batch (with its deliberately invalid rows) in one project per
    engine, build features, and compare the tables sorted by pseudonymised id."""
    require("uv")
    env = {"APP_PSEUDONYMISATION_KEY": KEY, "APP_SEED": "7", "APP_N_ROWS": "3000"}
    for project in projects.values():
        run(["make", "install"], cwd=project)
        run(["uv", "run", "--no-sync", "ingest", "--date", DAY], cwd=project, env=env)
        run(["uv", "run", "--no-sync", "build-features", "--date", DAY], cwd=project, env=env)
    lakes = [f"{engine}={project / 'data' / 'lake'}" for engine, project in projects.items()]
    compared = run(
        ["uv", "run", "--no-sync", "python", "-c", COMPARE, f"ingestion_date={DAY}", *lakes],
        cwd=projects["pandas"],
    )
    assert compared.stdout.count(": equal") == len(ENGINES)
