"""ml_framework=pytorch: torch only in training, from the explicit PyTorch CPU index, artifacts
that never unpickle, and serving that runs the ONNX export without torch (issue 11)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.tools import PYTORCH_INDEX, TORCH_WHEELS, local_torch_index, project_env, require, run

PYTORCH = {"ml_framework": "pytorch"}
TORCH_PIN = "torch==2.13.0"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("torch") / "p", PYTORCH).destination


@pytest.fixture(scope="module")
def sklearn_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("sklearn") / "p", {}).destination


def _dependencies(project: Path, service: str) -> list[str]:
    pyproject = tomllib.loads((project / "services" / service / "pyproject.toml").read_text())
    return [str(item) for item in pyproject["project"]["dependencies"]]


def test_torch_is_a_dependency_of_training_only(project: Path, sklearn_project: Path) -> None:
    assert TORCH_PIN in _dependencies(project, "training")
    assert any(item.startswith("safetensors") for item in _dependencies(project, "training"))
    for service in ("ingestion", "features", "serving", "monitoring"):
        assert not any(item.startswith("torch") for item in _dependencies(project, service))
    assert not any(item.startswith("torch") for item in _dependencies(sklearn_project, "training"))
    # The sklearn-only serialisers stay out of a pytorch project.
    assert not any(
        item.startswith(("skops", "skl2onnx")) for item in _dependencies(project, "training")
    )
    for dockerfile in (project / "services").glob("*/Dockerfile"):
        assert "torch" not in dockerfile.read_text().lower(), dockerfile


def test_torch_comes_from_the_explicit_cpu_index(project: Path, sklearn_project: Path) -> None:
    root = tomllib.loads((project / "pyproject.toml").read_text())
    [index] = root["tool"]["uv"]["index"]
    assert index == {
        "name": PYTORCH_INDEX,
        "url": "https://download.pytorch.org/whl/cpu",
        "explicit": True,
    }
    assert root["tool"]["uv"]["sources"]["torch"] == {"index": PYTORCH_INDEX}
    assert "cu126" in (project / "pyproject.toml").read_text()  # the documented CUDA switch
    sklearn_root = tomllib.loads((sklearn_project / "pyproject.toml").read_text())
    assert "index" not in sklearn_root["tool"]["uv"]
    assert "torch" not in sklearn_root["tool"]["uv"]["sources"]
    # The project never points at this machine's wheels; the tests do (project_env).
    assert str(TORCH_WHEELS) not in "".join(
        path.read_text(errors="ignore") for path in project.rglob("*") if path.is_file()
    )


def test_project_env_points_only_pytorch_projects_at_the_local_index(
    project: Path, sklearn_project: Path
) -> None:
    env = project_env(project)
    assert env == {"UV_INDEX": f"{PYTORCH_INDEX}={local_torch_index().as_uri()}"}
    listing = (local_torch_index() / "torch" / "index.html").read_text()
    assert re.search(r'href="torch-2\.13\.0%2Bcpu-[^"]+\.whl"', listing)
    assert project_env(sklearn_project) == {}


def test_lock_resolves_the_cpu_build_and_keeps_it_out_of_serving(project: Path) -> None:
    require("uv")
    run(["uv", "lock"], cwd=project)
    lock = tomllib.loads((project / "uv.lock").read_text())
    [torch] = [package for package in lock["package"] if package["name"] == "torch"]
    assert torch["version"] == "2.13.0+cpu"
    assert not any(package["name"].startswith("nvidia-") for package in lock["package"])

    def exported(service: str) -> str:
        member = f"customer-churn-platform-{service}"
        args = ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--package", member]
        return run(args, cwd=project).stdout

    assert re.search(r"^torch==2\.13\.0\+cpu", exported("training"), re.MULTILINE)
    served = exported("serving")
    assert "onnxruntime==" in served
    assert not re.search(r"^(torch|safetensors|scikit-learn)==", served, re.MULTILINE)


# ------------------------------------------------------------------ no pickle on load
_PICKLE_LOADERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("dill", "load"),
    ("dill", "loads"),
}


def unsafe_loads(root: Path) -> list[str]:
    """Calls in the services' code that can unpickle: pickle-family loaders, ``torch.load``
    without ``weights_only=True``, and MLflow's pickle-based PyTorch flavour."""
    found = []
    for path in sorted(root.glob("services/*/src/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = ast.unparse(node.func.value)
            name = node.func.attr
            where = f"{path.relative_to(root)}:{node.lineno}"
            if (owner.split(".")[-1], name) in _PICKLE_LOADERS:
                found.append(f"{where} {owner}.{name}")
            elif owner == "torch" and name == "load":
                safe = any(
                    keyword.arg == "weights_only"
                    and isinstance(keyword.value, ast.Constant)
                    and keyword.value.value is True
                    for keyword in node.keywords
                )
                if not safe:
                    found.append(f"{where} torch.load without weights_only=True")
            elif owner == "mlflow.pytorch" and name == "load_model":
                found.append(f"{where} mlflow.pytorch.load_model")
    return found


def test_no_service_code_can_unpickle_a_model(project: Path) -> None:
    assert unsafe_loads(project) == []
    weights = project / "services/training/src/training/torch_model.py"
    assert "load_file" in weights.read_text() and "torch.save" not in weights.read_text()


@pytest.mark.parametrize(
    "planted",
    [
        "state = torch.load(path)",
        "state = torch.load(path, weights_only=False)",
        "state = pickle.loads(path.read_bytes())",
        "model = mlflow.pytorch.load_model(uri)",
        "model = joblib.load(path)",
    ],
)
def test_a_planted_pickle_load_is_caught(tmp_path: Path, project: Path, planted: str) -> None:
    copy = tmp_path / "p"
    module = copy / "services/training/src/training/loader.py"
    module.parent.mkdir(parents=True)
    module.write_text(f"def load(path, uri):\n    {planted}\n    return state\n")
    [finding] = unsafe_loads(copy)
    assert finding.startswith("services/training/src/training/loader.py:2 ")
    module.write_text("def load(path):\n    return torch.load(path, weights_only=True)\n")
    assert unsafe_loads(copy) == []


# ------------------------------------------------------------------ docs
def test_docs_name_the_framework(project: Path, sklearn_project: Path) -> None:
    adr = next((project / "docs" / "adr").glob("*-ml-framework.md")).read_text()
    assert adr.startswith("# 13. ML framework: PyTorch\n")
    assert "safetensors" in adr and "download.pytorch.org/whl/cu126" in adr
    sklearn_adr = next((sklearn_project / "docs" / "adr").glob("*-ml-framework.md")).read_text()
    assert sklearn_adr.startswith("# 13. ML framework: scikit-learn\n")
    assert "torch" not in sklearn_adr
    assert "PyTorch" in (project / "docs" / "architecture.md").read_text()
    readme = (project / "services" / "training" / "README.md").read_text()
    assert "PyTorch" in readme and "safetensors" in readme and "LogisticRegression" not in readme


def test_training_tests_for_pytorch_are_rendered_only_for_pytorch(
    project: Path, sklearn_project: Path
) -> None:
    name = "services/training/tests/test_training_torch.py"
    assert (project / name).is_file()
    assert not (sklearn_project / name).exists()
    assert not (sklearn_project / "services/training/src/training/torch_model.py").exists()


def test_rendered_pytorch_project_is_lint_clean(project: Path) -> None:
    require("ruff")
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)


def test_subprocess_run_in_a_pytorch_project_gets_the_index(project: Path) -> None:
    """`run` (every kit test's way to call `make install`) passes UV_INDEX on."""
    printed = run(["python", "-c", "import os; print(os.environ['UV_INDEX'])"], cwd=project)
    assert printed.stdout.strip() == project_env(project)["UV_INDEX"]


def test_ci_audits_the_cpu_build_as_its_release(project: Path, sklearn_project: Path) -> None:
    """pip-audit --strict fails on "torch (2.13.0+cpu)": PyPI knows releases, not build labels."""
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text()
    rewrite = "sed -i -E 's/^torch==([^+ ]+)\\+cpu/torch==\\1/'"
    assert rewrite in workflow
    assert workflow.index(rewrite) < workflow.index("pip-audit")
    assert "sed -i" not in (sklearn_project / ".github" / "workflows" / "ci.yml").read_text()
