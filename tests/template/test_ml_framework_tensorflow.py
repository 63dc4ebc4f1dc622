"""ml_framework=tensorflow: a Keras 3 training service, TensorFlow nowhere else (issue 11).

Renders only (fast); the heavy part, installing TensorFlow and running the project's own
tests, is the pairwise variants' job (`slow`), which the matrix picks up from copier.yml.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.rendered import assert_clean_output, assert_only_chosen_files
from tests.tools import run

TENSORFLOW = {"ml_framework": "tensorflow"}
TRAINING = Path("services/training")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("render") / "keras", TENSORFLOW).destination


@pytest.fixture(scope="module")
def sklearn_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("render") / "sklearn").destination


def dependencies(project: Path, member: str) -> list[str]:
    document = tomllib.loads((project / member / "pyproject.toml").read_text())
    return [str(item) for item in document["project"]["dependencies"]]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ]", item, maxsplit=1)[0] for item in requirements}


def test_tensorflow_is_a_choice_of_copier_yml() -> None:
    (question,) = (q for q in load_questions() if q.name == "ml_framework")
    assert "tensorflow" in question.values
    assert question.default == "sklearn"


def test_output_is_clean_and_has_only_the_chosen_files(project: Path) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, TENSORFLOW)


def test_python_is_ruff_clean(project: Path) -> None:
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)


def test_tensorflow_only_in_the_training_service(project: Path, sklearn_project: Path) -> None:
    assert {"tensorflow-cpu", "tf2onnx"} <= names(dependencies(project, str(TRAINING)))
    members = ["packages/contracts"] + [
        f"services/{service}" for service in ("ingestion", "features", "serving", "monitoring")
    ]
    for member in members:
        heavy = names(dependencies(project, member)) & {"tensorflow", "tensorflow-cpu", "keras"}
        assert not heavy, f"{member} depends on {heavy}"
    # The serving image installs the serving package alone: no TensorFlow in it.
    dockerfile = (project / "services/serving/Dockerfile").read_text()
    assert "--package customer-churn-platform-serving" in dockerfile
    # A scikit-learn project does not pull TensorFlow at all.
    assert not names(dependencies(sklearn_project, str(TRAINING))) & {"tensorflow-cpu", "tf2onnx"}
    pins = (project / TRAINING / "pyproject.toml").read_text()
    assert '"tensorflow-cpu>=' in pins  # lower-bounded here, exact in uv.lock


def test_keras_model_is_saved_natively_and_loaded_in_safe_mode(project: Path) -> None:
    source = project / TRAINING / "src/training"
    keras_model = (source / "keras_model.py").read_text()
    tracking = (source / "tracking.py").read_text()
    assert "safe_mode=True" in keras_model
    assert '"safe_mode": True' in tracking
    assert "mlflow.keras.log_model" in tracking
    for path in source.glob("*.py"):
        text = path.read_text()
        assert "layers.Lambda" not in text, path.name
        assert "safe_mode=False" not in text, path.name
        assert "import pickle" not in text and "cloudpickle" not in text, path.name
    # The framework's model is the default; the scikit-learn pipelines stay as baselines.
    assert 'DEFAULT_MODEL_KIND: ModelKind = "keras_mlp"' in (source / "model.py").read_text()


def test_generated_tests_prove_gate_parity_determinism_and_safe_mode(project: Path) -> None:
    tests = (project / TRAINING / "tests/test_training_keras.py").read_text()
    for name in (
        "test_keras_model_clears_the_quality_gate_on_held_out_synthetic_data",
        "test_the_same_seed_gives_the_same_model",
        "test_onnx_export_answers_like_keras_on_the_holdout",
        "test_onnx_export_is_what_serving_accepts",
        "test_keras_file_with_code_in_it_is_refused",
        "test_registry_load_of_keras_model_with_code_is_refused",
    ):
        assert f"def {name}(" in tests, name
    assert "roc_auc\"] > 0.75" in tests
    fastpath = (project / "services/serving/tests/test_serving_fastpath.py").read_text()
    assert '"tensorflow", "keras", "tf2onnx"' in fastpath  # serving imports none of them


def test_docs_name_the_framework(project: Path, sklearn_project: Path) -> None:
    adr = (project / "docs/adr/0013-ml-framework.md").read_text()
    assert adr.startswith("# 13. ML framework: TensorFlow / Keras 3")
    assert "tf2onnx" in adr and "safe_mode=True" in adr
    assert "skl2onnx converts" not in adr  # only the chosen framework's section
    assert "Keras 3 / TensorFlow" in (project / "docs/architecture.md").read_text()
    assert "Keras 3 network" in (project / TRAINING / "README.md").read_text()
    sklearn_adr = (sklearn_project / "docs/adr/0013-ml-framework.md").read_text()
    assert sklearn_adr.startswith("# 13. ML framework: scikit-learn")
    assert "Keras" not in sklearn_adr
    assert "Keras" not in (sklearn_project / TRAINING / "README.md").read_text()
