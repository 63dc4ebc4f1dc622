"""One Airflow metadata DB (SQLite, migrated once) and one lake per test session: the DAG
tests share them, so the migration's seconds are paid once."""

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ORCHESTRATION = Path(__file__).resolve().parents[1]


def load(path: Path, name: str) -> ModuleType:
    """Import a file of orchestration/ (not a package: the DAG folder is deployed as files)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_file() -> Callable[[Path, str], ModuleType]:
    """``load``, for the tests that import a copy of the DAG folder as it is deployed."""
    return load


@pytest.fixture(scope="session")
def orchestrate() -> ModuleType:
    return load(ORCHESTRATION / "orchestrate.py", "orchestrate")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lake, MLflow store and reports of this session, set before the DAGs are parsed
    (their asset URIs name the lake)."""
    from contracts import get_settings

    data = tmp_path_factory.mktemp("pipeline") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("APP_DATA_DIR", str(data))
        patch.setenv("APP_N_ROWS", "2000")
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        get_settings.cache_clear()
        yield data
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def dag_bag(
    orchestrate: ModuleType, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """The DAG folder parsed as the scheduler parses it, against a migrated metadata DB."""
    home = tmp_path_factory.mktemp("airflow")
    saved = {key: value for key, value in os.environ.items() if key.startswith("AIRFLOW")}
    orchestrate.configure(home)
    orchestrate.migrate()
    yield orchestrate.load_dags()
    for key in [key for key in os.environ if key.startswith("AIRFLOW")]:
        os.environ.pop(key)
    os.environ.update(saved)


@pytest.fixture(scope="session")
def pipeline(dag_bag: Any) -> ModuleType:
    """The DAG file as a module, to call its functions directly (Airflow configured first)."""
    return load(ORCHESTRATION / "dags" / "pipeline.py", "pipeline_dags")
