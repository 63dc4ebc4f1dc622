"""orchestration=kubeflow (issue 12): a KFP v2 pipeline of the services' images, compiled and
committed, run end to end on KFP's local runner; only on Kubernetes targets."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.rendered import assert_clean_output, reproduce
from tests.tools import run

QUESTIONS = {question.name: question for question in load_questions()}
KUBEFLOW = {"cloud": "aws", "deploy_target": "kubernetes", "orchestration": "kubeflow"}
REFUSAL = r"orchestration=kubeflow needs a Kubernetes cluster"
# The pipeline's tests run in orchestration/'s own environment, as `make test` runs them.
ORCHESTRATION = ["uv", "run", "--project", "orchestration", "--no-sync"]
ORCHESTRATION_PYTEST = [*ORCHESTRATION, "pytest", "-q", "-p", "no:cacheprovider"]
CIS = [str(choice) for choice in QUESTIONS["ci"].choices.values()]


@pytest.mark.parametrize(
    "answers",
    [{"cloud": "local"}, {"cloud": "gcp", "deploy_target": "containers"}],
    ids=["local", "containers"],
)
def test_kubeflow_is_refused_without_a_cluster(tmp_path: Path, answers: dict[str, str]) -> None:
    with pytest.raises(UsageError, match=REFUSAL) as info:
        create_project(tmp_path / "p", {**answers, "orchestration": "kubeflow"})
    assert "\n" not in info.value.message
    assert "use orchestration=none" in info.value.message
    assert not (tmp_path / "p").exists()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("kfp") / "p", KUBEFLOW).destination


def _dependencies(pyproject: Path) -> list[str]:
    return [str(item) for item in tomllib.loads(pyproject.read_text())["project"]["dependencies"]]


def test_kfp_is_a_dependency_of_the_orchestration_project_only(project: Path) -> None:
    orchestration = tomllib.loads((project / "orchestration" / "pyproject.toml").read_text())
    assert orchestration["project"]["dependencies"] == ["kfp==2.16.0", "kfp-kubernetes==2.16.1"]
    # pip: the local runner's bootstrap `pip install kfp`, satisfied from that venv.
    assert any(item.startswith("pip") for item in orchestration["dependency-groups"]["dev"])
    for pyproject in (project / "services").glob("*/pyproject.toml"):
        assert not any(item.startswith("kfp") for item in _dependencies(pyproject)), pyproject
    for dockerfile in (project / "services").glob("*/Dockerfile"):
        assert "kfp" not in dockerfile.read_text(), dockerfile
    # A uv project of its own: the workspace (and its lock) never holds kfp's protobuf cap.
    root = tomllib.loads((project / "pyproject.toml").read_text())
    assert root["tool"]["uv"]["workspace"]["exclude"] == ["orchestration"]
    assert "orchestration" not in root["tool"]["uv"]["workspace"]["members"]
    assert not any("orchestration" in item for item in root["project"]["dependencies"])
    assert "orchestration" not in root["tool"]["pytest"]["ini_options"]["testpaths"]
    assert (project / "docs" / "adr" / "0020-orchestration-kubeflow.md").is_file()
    assert "## Kubeflow Pipelines" in (project / "docs" / "deploy.md").read_text()


@pytest.mark.parametrize("ci", CIS)
def test_ci_installs_tests_and_audits_the_pipeline_lock(tmp_path: Path, ci: str) -> None:
    """orchestration/uv.lock is outside the workspace: `make install` and `make test` (which
    every CI's test job runs) cover it, and each CI's dependency audit exports it too."""
    project = create_project(tmp_path / "p", {**KUBEFLOW, "ci": ci}).destination
    makefile = (project / "Makefile").read_text()
    assert "\t$(UV) sync --project orchestration\n" in makefile
    assert "\t$(UV) run --project orchestration --no-sync pytest orchestration\n" in makefile
    ci_file = {
        "github": ".github/workflows/ci.yml",
        "gitlab": ".gitlab-ci.yml",
        "jenkins": "Jenkinsfile",
    }[ci]
    pipeline = (project / ci_file).read_text()
    assert "make install" in pipeline and "make test" in pipeline
    export = pipeline.index("uv export --project orchestration --no-emit-project")
    audit = pipeline.index("pip-audit")
    assert export < audit
    requirement = pipeline[audit:].split("--requirement", 2)
    assert len(requirement) == 3 and "orchestration" in requirement[2].split("\n")[0]


def test_kubeflow_with_grpc_keeps_protobuf_7_for_the_services(tmp_path: Path) -> None:
    """kfp caps protobuf below 7 while grpcio-health-checking and -reflection 1.85 need 7.35+:
    the serving stack keeps protobuf 7 in the workspace's lock, kfp stays in its own, and the
    committed gRPC stubs, the compiled pipeline and the local run all work."""
    answers = {**KUBEFLOW, "cloud": "gcp", "api_style": "grpc"}
    project = create_project(tmp_path / "p", answers).destination
    version = "import google.protobuf as p; print(p.__version__)"
    try:
        run(["make", "install"], cwd=project)
        workspace = run(["uv", "run", "--no-sync", "python", "-c", version], cwd=project)
        assert int(workspace.stdout.split(".")[0]) >= 7
        kfp_in_workspace = ["uv", "run", "--no-sync", "python", "-c", "import kfp"]
        assert subprocess.run(kfp_in_workspace, cwd=project, capture_output=True).returncode
        run([*ORCHESTRATION, "python", "-c", "import kfp"], cwd=project)
        tests = ["packages/contracts", "services/serving/tests/test_serving_grpc.py"]
        run(
            ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider", *tests],
            cwd=project,
        )
        run([*ORCHESTRATION_PYTEST, "orchestration"], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(answers)}") from exc


def test_kfp_pods_get_their_own_egress_policy(project: Path) -> None:
    base = project / "deploy" / "kubernetes" / "base"
    policies = {
        policy["metadata"]["name"]: policy
        for policy in yaml.safe_load_all((base / "networkpolicies.yaml").read_text())
    }
    egress = policies["kfp-run-egress"]["spec"]["egress"]
    # KFP's namespace only by its API, metadata and artifact store pods, never all of it.
    for rule in egress[:3]:
        [peer] = rule["to"]
        assert peer["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "kubeflow"
        }
        assert peer["podSelector"]
    assert egress[3]["to"][0]["ipBlock"]["except"] == ["169.254.169.254/32"]


def test_without_kubeflow_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {**KUBEFLOW, "orchestration": "none"}).destination
    assert not (project / "orchestration").exists()
    assert not list((project / "docs" / "adr").glob("0020-*"))
    for name in ("pyproject.toml", "Makefile", "scripts/deploy.sh", "docs/deploy.md"):
        assert "kfp" not in (project / name).read_text().lower(), name
    base = project / "deploy" / "kubernetes" / "base" / "networkpolicies.yaml"
    assert "kfp-run-egress" not in base.read_text()


def test_the_pipeline_compiles_checks_and_runs_locally(project: Path) -> None:
    """make install, the pipeline's own tests (compile checks, the committed YAML is fresh, the
    local run end to end), lint, and the Kubernetes and secret checks of `make check`."""
    try:
        assert_clean_output(project)
        run(["git", "init", "-q"], cwd=project)
        run(["make", "install"], cwd=project)
        run(
            [*ORCHESTRATION_PYTEST, "orchestration"],
            cwd=project,
        )
        run(["make", "lint"], cwd=project)
        run(["git", "add", "-A"], cwd=project)
        run(["make", "check", "ONLY=kubernetes secrets yamllint shellcheck"], cwd=project)
    except BaseException as exc:
        raise AssertionError(f"variant fails; reproduce with: {reproduce(KUBEFLOW)}") from exc


def test_the_committed_pipeline_matches_with_ab_testing_and_other_names(tmp_path: Path) -> None:
    """The template's pipeline.yaml merges two compiles: it must equal a fresh compile for the
    variant with the experiments steps and for names other than the defaults."""
    answers = {
        **KUBEFLOW,
        "ab_testing": True,
        "project_name": "Retail Uplift",
        "organisation": "globex-data",
    }
    project = create_project(tmp_path / "p", answers).destination
    pipeline = yaml.safe_load_all((project / "orchestration" / "pipeline.yaml").read_text())
    spec = next(iter(pipeline))
    assert {"comp-simulate", "comp-analyse"} <= set(spec["components"])
    image = spec["deploymentSpec"]["executors"]["exec-analyse"]["container"]["image"]
    assert image == "globex-data/retail-uplift-experiments:local"
    run(["make", "install"], cwd=project)
    run(
        [*ORCHESTRATION_PYTEST, "orchestration", "-k", "committed or chained or digest"],
        cwd=project,
    )


@pytest.mark.parametrize("cloud", ["gcp", "aws", "azure"])
def test_the_committed_spark_pipeline_is_what_its_code_compiles(tmp_path: Path, cloud: str) -> None:
    """With processing=spark in a cloud the template's pipeline.yaml holds the managed-Spark
    features step (its spark_on_dataproc / spark_on_glue / spark_on_databricks blocks): it must
    equal a fresh compile of that project's own pipeline code, with A/B tests and names other
    than the defaults."""
    answers = {
        **KUBEFLOW,
        "cloud": cloud,
        "processing": "spark",
        "ab_testing": True,
        "project_name": "Retail Uplift",
        "organisation": "globex-data",
    }
    project = create_project(tmp_path / "p", answers).destination
    orchestration = project / "orchestration"
    # The pipeline's own compiler (the project's exact kfp pins), without installing the project.
    pins = [f"--with={pin}" for pin in _dependencies(orchestration / "pyproject.toml")]
    fresh = tmp_path / "fresh.yaml"
    command = ["uv", "run", "--no-project", *pins, "python", "-m", "kfp_pipeline", "compile"]
    run([*command, "--output", str(fresh)], cwd=orchestration, env={"PYTHONPATH": "src"})
    committed = (orchestration / "pipeline.yaml").read_text()
    assert fresh.read_text() == committed
    spec = next(iter(yaml.safe_load_all(committed)))
    assert "spark_run" in spec["root"]["inputDefinitions"]["parameters"]
    assert {"comp-simulate", "comp-analyse", "comp-managed-spark-run"} <= set(spec["components"])
