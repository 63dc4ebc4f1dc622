"""Assertions every rendered variant must satisfy, shared by the template tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

# Our own Jinja would reference an answer or copier itself; `${{ }}` (GitHub Actions) and
# `{{ $labels }}` (Prometheus) are the target languages' syntax, not leftovers.
LEFTOVER = re.compile(
    r"\{%|%\}|\{#|\{\{\s*(project_|description|organisation|python_version|use_case|_copier)"
)
SKIP = {".venv", "data", ".git", ".ruff_cache", ".pytest_cache", "__pycache__"}


def text_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not SKIP & set(path.relative_to(root).parts):
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            found.append(path)
    return found


def empty_folders(root: Path) -> list[str]:
    """Folders with nothing in them: copier leaves one when every path below it is left out."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_dir()
        and not SKIP & set(path.relative_to(root).parts)
        and not any(path.iterdir())
    )


def is_protoc_output(path: Path, text: str) -> bool:
    """gRPC stubs (api_style=grpc) are protoc's output, committed byte for byte: the project's
    drift check compares them with a fresh generation, so they keep protoc's layout."""
    return (
        path.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"))
        and "DO NOT EDIT!" in (text[:200])
    )


def assert_clean_output(root: Path) -> None:
    """No template suffixes or leftover Jinja, no blank-line litter, newline at EOF, no
    empty folders (a folder whose contents an answer leaves out must be left out too)."""
    empty = empty_folders(root)
    assert not empty, f"empty folders: {empty}"
    for path in text_files(root):
        rel = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        assert not path.name.endswith(".jinja"), rel
        match = LEFTOVER.search(text)
        assert match is None, f"{rel}: leftover {match and match.group(0)!r}"
        assert not text.startswith("\n"), f"{rel} starts with a blank line"
        if not is_protoc_output(path, text):
            assert "\n\n\n\n" not in text, f"{rel} has three blank lines in a row"
        assert text.endswith("\n") or not text, f"{rel} does not end with a newline"


def reproduce(answers: dict[str, object]) -> str:
    """The one command that recreates a variant, for failure messages."""
    data = " ".join(f"--data {key}={value}" for key, value in answers.items())
    return f"aiarch new variant --defaults {data}"


# Paths that belong to one option value, and the answers under which they must exist.
OPTION_PATHS: dict[str, object] = {
    "infra/terraform": lambda a: a.get("cloud", "local") != "local" and a.get("iac") == "terraform",
    "tools/terraform_refs.py": lambda a: (
        a.get("cloud", "local") != "local" and a.get("iac") == "terraform"
    ),
    "infra/cloudformation": lambda a: a.get("iac") == "cloudformation",
    # Airflow's DAGs and Kubeflow's pipeline share the folder name; each has its own files.
    "orchestration": lambda a: a.get("orchestration") in ("airflow", "kubeflow"),
    "orchestration/dags": lambda a: a.get("orchestration") == "airflow",
    "orchestration/pipeline.yaml": lambda a: a.get("orchestration") == "kubeflow",
    "deploy": lambda a: (
        a.get("cloud", "local") != "local" and a.get("deploy_target") == "kubernetes"
    ),
    "deploy/kubernetes": lambda a: (
        a.get("cloud", "local") != "local" and a.get("deploy_target") == "kubernetes"
    ),
    "tools/iam_check.py": lambda a: a.get("cloud") == "aws" and a.get("iac") == "terraform",
    "tools/k8s_check.py": lambda a: (
        a.get("cloud", "local") != "local" and a.get("deploy_target") == "kubernetes"
    ),
    "infra": lambda a: a.get("cloud", "local") != "local",
    "scripts/deploy.sh": lambda a: a.get("cloud", "local") != "local",
    "scripts": lambda a: a.get("cloud", "local") != "local",
    "scripts/deploy": lambda a: a.get("cloud", "local") != "local",
    "scripts/deploy/rollout.sh": lambda a: (
        a.get("cloud", "local") != "local" and a.get("deploy_target") == "kubernetes"
    ),
    "packages/contracts/tests/test_contracts_s3.py": lambda a: a.get("cloud") == "aws",
    # processing=spark on Google Cloud: the features job on Serverless for Apache Spark (ADR 24).
    "infra/terraform/modules/serverless_spark": lambda a: (
        a.get("cloud") == "gcp" and a.get("processing") == "spark"
    ),
    "services/features/dataproc": lambda a: (
        a.get("cloud") == "gcp" and a.get("processing") == "spark"
    ),
    "scripts/deploy/dataproc_batch.py": lambda a: (
        a.get("cloud") == "gcp" and a.get("processing") == "spark"
    ),
    "packages/contracts/src/contracts/secret_manager.py": lambda a: (
        a.get("cloud") in ("gcp", "aws") and a.get("processing") == "spark"
    ),
    "packages/contracts/tests/test_contracts_secret_manager.py": lambda a: (
        a.get("cloud") in ("gcp", "aws") and a.get("processing") == "spark"
    ),
    "docs/adr/0024-managed-spark.md": lambda a: (
        a.get("cloud") in ("gcp", "aws", "azure") and a.get("processing") == "spark"
    ),
    # processing=spark on Azure: the features job as a one-time Azure Databricks run (ADR 24).
    "infra/terraform/modules/databricks": lambda a: (
        a.get("cloud") == "azure" and a.get("processing") == "spark"
    ),
    "infra/terraform/modules/databricks_jobs": lambda a: (
        a.get("cloud") == "azure" and a.get("processing") == "spark"
    ),
    "scripts/deploy/databricks_run.py": lambda a: (
        a.get("cloud") == "azure" and a.get("processing") == "spark"
    ),
    "packages/contracts/src/contracts/databricks_secrets.py": lambda a: (
        a.get("cloud") == "azure" and a.get("processing") == "spark"
    ),
    "packages/contracts/tests/test_contracts_databricks_secrets.py": lambda a: (
        a.get("cloud") == "azure" and a.get("processing") == "spark"
    ),
    # processing=spark on AWS: the features job on AWS Glue (ADR 24).
    "infra/terraform/modules/glue_spark": lambda a: (
        a.get("cloud") == "aws"
        and a.get("processing") == "spark"
        and a.get("iac", "terraform") == "terraform"
    ),
    "infra/cloudformation/spark.yaml": lambda a: (
        a.get("cloud") == "aws"
        and a.get("processing") == "spark"
        and a.get("iac") == "cloudformation"
    ),
    "services/features/glue": lambda a: a.get("cloud") == "aws" and a.get("processing") == "spark",
    "services/features/src/features/glue.py": lambda a: (
        a.get("cloud") == "aws" and a.get("processing") == "spark"
    ),
    "services/features/tests/test_features_glue.py": lambda a: (
        a.get("cloud") == "aws" and a.get("processing") == "spark"
    ),
    "scripts/deploy/glue_job.py": lambda a: (
        a.get("cloud") == "aws" and a.get("processing") == "spark"
    ),
    "tools/proto.py": lambda a: a.get("api_style") == "grpc",
    "tools/gateway_auth.py": lambda a: (
        a.get("api_gateway") == "cloud"
        and a.get("gateway_auth") == "jwt"
        and a.get("cloud") in ("aws", "gcp")
    ),
    "packages/contracts/src/contracts/proto": lambda a: a.get("api_style") == "grpc",
    "packages/contracts/tests/test_contracts_proto.py": lambda a: a.get("api_style") == "grpc",
    "services/serving/src/serving/grpc_server.py": lambda a: a.get("api_style") == "grpc",
    "services/serving/tests/test_serving_grpc.py": lambda a: a.get("api_style") == "grpc",
    # Several server processes on one port (issue 13), and the multi-worker test of each style.
    "services/serving/src/serving/grpc_workers.py": lambda a: a.get("api_style") == "grpc",
    "services/serving/src/serving/grpc_transport.py": lambda a: a.get("api_style") == "grpc",
    "services/serving/tests/test_serving_grpc_workers.py": lambda a: a.get("api_style") == "grpc",
    "services/serving/tests/test_serving_workers.py": lambda a: (
        a.get("api_style", "rest") == "rest"
    ),
    "services/serving/tests/test_serving_graphql_workers.py": lambda a: (
        a.get("api_style") == "graphql"
    ),
    "deploy/kubernetes/components/grpc": lambda a: (
        a.get("api_style") == "grpc"
        and a.get("cloud", "local") != "local"
        and a.get("deploy_target") == "kubernetes"
    ),
    "docs/adr/0011-api-style.md": lambda a: a.get("api_style", "rest") != "rest",
    # The cloud's managed API gateway (issue 13; gRPC takes another path, docs/adr/0012).
    # GCP: API Gateway before Cloud Run (not for gRPC), Cloud Endpoints + ESPv2 on GKE (every
    # style); AWS: API Gateway, or an ALB for gRPC (same module).
    "infra/terraform/modules/api_gateway": lambda a: (
        a.get("iac") == "terraform"
        and a.get("api_gateway") == "cloud"
        and (
            a.get("cloud") == "aws"
            or (
                a.get("cloud") == "gcp"
                and a.get("api_style") != "grpc"
                and a.get("deploy_target") == "containers"
            )
        )
    ),
    "infra/terraform/modules/endpoints": lambda a: (
        a.get("cloud") == "gcp"
        and a.get("iac", "terraform") == "terraform"
        and a.get("api_gateway") == "cloud"
        and a.get("deploy_target", "kubernetes") == "kubernetes"
    ),
    "deploy/kubernetes/components/gke-endpoints": lambda a: (
        a.get("cloud") == "gcp"
        and a.get("api_gateway") == "cloud"
        and a.get("deploy_target", "kubernetes") == "kubernetes"
    ),
    "packages/contracts/src/contracts/proto/api_descriptor.pb": lambda a: (
        a.get("api_style") == "grpc"
    ),
    "infra/terraform/modules/api_management": lambda a: (
        a.get("cloud") == "azure"
        and a.get("iac") == "terraform"
        and a.get("api_gateway") == "cloud"
        and a.get("api_style") != "grpc"
    ),
    # Azure: Front Door's WAF in front of API Management, and the check that keeps it there.
    "infra/terraform/modules/front_door": lambda a: (
        a.get("cloud") == "azure"
        and a.get("iac") == "terraform"
        and a.get("api_gateway") == "cloud"
        and a.get("api_style") != "grpc"
    ),
    "tools/azure_gateway_check.py": lambda a: (
        a.get("cloud") == "azure"
        and a.get("iac") == "terraform"
        and a.get("api_gateway") == "cloud"
        and a.get("api_style") != "grpc"
    ),
    ".github/workflows/ci.yml": lambda a: a.get("ci", "github") == "github",
    ".gitlab-ci.yml": lambda a: a.get("ci") == "gitlab",
    "Jenkinsfile": lambda a: a.get("ci") == "jenkins",
    "services/serving/src/serving/routes.py": lambda a: (
        a.get("api_style", "rest") == "rest" and a.get("use_case") != "recommendation"
    ),
    "services/serving/src/serving/parsing.py": lambda a: (
        a.get("api_style", "rest") != "graphql" and a.get("use_case") != "recommendation"
    ),
    "services/serving/tests/test_serving_api.py": lambda a: (
        a.get("api_style", "rest") == "rest" and a.get("use_case") != "recommendation"
    ),
    "services/serving/src/serving/graphql_api.py": lambda a: a.get("api_style") == "graphql",
    "services/serving/schema.graphql": lambda a: a.get("api_style") == "graphql",
    "services/serving/tests/test_serving_graphql.py": lambda a: (
        a.get("api_style") == "graphql" and a.get("use_case") != "recommendation"
    ),
    # ml_framework=pytorch: the PyTorch model and its tests (issue 11). A recommender's PyTorch
    # model is its training.factorisation: no network module, no exporter.
    "services/training/src/training/torch_model.py": lambda a: (
        a.get("ml_framework") == "pytorch" and a.get("use_case") != "recommendation"
    ),
    # Segmentation's PyTorch model is an autoencoder whose ONNX graph onnx_export writes itself.
    "services/training/src/training/torch_export.py": lambda a: (
        a.get("ml_framework") == "pytorch"
        and a.get("use_case", "churn") not in ("segmentation", "recommendation")
    ),
    "services/training/src/training/embedding.py": lambda a: (
        a.get("ml_framework", "sklearn") != "sklearn" and a.get("use_case") == "segmentation"
    ),
    "services/training/tests/test_training_torch.py": lambda a: a.get("ml_framework") == "pytorch",
    # A/B testing (issue 11): the experiments service, its definition file, the contracts it
    # shares with serving, serving's assignments per API style and the Kubernetes CronJob.
    "services/events": lambda a: a.get("streaming") == "kafka",
    "packages/contracts/src/contracts/events.py": lambda a: a.get("streaming") == "kafka",
    "docs/adr/0021-event-ingestion.md": lambda a: a.get("streaming") == "kafka",
    # streaming=kafka (issue 12): the cloud's Kafka in the IaC and the events consumer's manifests.
    "infra/terraform/modules/msk": lambda a: (
        a.get("streaming") == "kafka" and a.get("cloud") == "aws" and a.get("iac") == "terraform"
    ),
    "infra/terraform/modules/managed_kafka": lambda a: (
        a.get("streaming") == "kafka" and a.get("cloud") == "gcp" and a.get("iac") == "terraform"
    ),
    "infra/terraform/modules/event_hubs": lambda a: (
        a.get("streaming") == "kafka" and a.get("cloud") == "azure" and a.get("iac") == "terraform"
    ),
    "infra/cloudformation/kafka.yaml": lambda a: (
        a.get("streaming") == "kafka" and a.get("iac") == "cloudformation"
    ),
    "deploy/kubernetes/base/events": lambda a: (
        a.get("streaming") == "kafka"
        and a.get("cloud", "local") != "local"
        and a.get("deploy_target") == "kubernetes"
    ),
    "services/experiments": lambda a: bool(a.get("ab_testing")),
    "experiments/churn-model.yaml": lambda a: (
        bool(a.get("ab_testing")) and a.get("use_case", "churn") == "churn"
    ),
    "experiments/clv-model.yaml": lambda a: (
        bool(a.get("ab_testing")) and a.get("use_case") == "clv"
    ),
    "experiments/segmentation-model.yaml": lambda a: (
        bool(a.get("ab_testing")) and a.get("use_case") == "segmentation"
    ),
    "experiments/pricing-model.yaml": lambda a: (
        bool(a.get("ab_testing")) and a.get("use_case") == "pricing"
    ),
    "packages/contracts/src/contracts/experiments.py": lambda a: bool(a.get("ab_testing")),
    "packages/contracts/src/contracts/experiment_log.py": lambda a: bool(a.get("ab_testing")),
    "services/serving/src/serving/assignments.py": lambda a: bool(a.get("ab_testing")),
    "services/serving/src/serving/assignment_routes.py": lambda a: (
        bool(a.get("ab_testing")) and a.get("api_style", "rest") == "rest"
    ),
    "services/serving/tests/test_serving_assignments.py": lambda a: (
        bool(a.get("ab_testing")) and a.get("api_style", "rest") == "rest"
    ),
    "services/serving/tests/test_serving_graphql_assignments.py": lambda a: (
        bool(a.get("ab_testing")) and a.get("api_style") == "graphql"
    ),
    "services/serving/tests/test_serving_grpc_assignments.py": lambda a: (
        bool(a.get("ab_testing")) and a.get("api_style") == "grpc"
    ),
    "deploy/kubernetes/base/jobs/experiments.yaml": lambda a: (
        bool(a.get("ab_testing"))
        and a.get("cloud", "local") != "local"
        and a.get("deploy_target") == "kubernetes"
    ),
    # ml_framework=tensorflow: the Keras model, its ONNX exporter and their tests (issue 11); a
    # recommender's Keras factorisation is training.factorisation, exported by onnx.helper.
    "services/training/src/training/keras_model.py": lambda a: (
        a.get("ml_framework") == "tensorflow" and a.get("use_case", "churn") != "recommendation"
    ),
    "services/training/src/training/keras_export.py": lambda a: (
        a.get("ml_framework") == "tensorflow"
        and a.get("use_case", "churn") not in ("segmentation", "recommendation")
    ),
    "services/training/src/training/skl2onnx_compat.py": lambda a: (
        a.get("ml_framework", "sklearn") == "sklearn"
        or (
            a.get("ml_framework") == "tensorflow"
            and a.get("use_case", "churn") not in ("segmentation", "recommendation")
        )
    ),
    "services/training/tests/test_training_keras.py": lambda a: (
        a.get("ml_framework") == "tensorflow"
    ),
}


def assert_only_chosen_files(root: Path, answers: dict[str, object]) -> None:
    """Files of an option exist exactly when that option was chosen."""
    for rel, chosen in OPTION_PATHS.items():
        exists = (root / rel).exists()
        expected = chosen(answers)  # type: ignore[operator]
        assert exists == expected, f"{rel}: exists={exists}, chosen={expected} for {answers}"


KIT_ROOT = Path(__file__).resolve().parents[2]
NAMED_TEST = re.compile(r"`((?:services|packages|tests|orchestration)/[\w./{}-]+\.py)(?:::(\w+))?")


def missing_named_tests(project: Path) -> list[str]:
    """Tests that docs/security.md names but the project (or, for kit tests, the kit) lacks.

    The attack tables are assembled per variant; a row naming a test another API style or
    cloud has would point a reviewer at nothing.
    """
    security = project / "docs" / "security.md"
    missing = []
    for path, test in NAMED_TEST.findall(security.read_text(encoding="utf-8")):
        root = KIT_ROOT if path.startswith(("tests/template/", "tests/unit/")) else project
        source = root / path
        if not source.is_file():
            missing.append(path)
        elif test and f"def {test}(" not in source.read_text(encoding="utf-8"):
            missing.append(f"{path}::{test}")
    return missing


def assert_services_never_mention(root: Path, words: tuple[str, ...]) -> None:
    """No service's code or README names another use case's model (its outputs, metrics, label):
    a use case renders its own modules and text, not a churn leftover."""
    services = root / "services"
    for path in [*services.rglob("*.py"), *services.rglob("*.md")]:
        text = path.read_text()
        for word in words:
            assert word not in text, f"{path.relative_to(root)} mentions {word}"


# Where churn's route or GraphQL field would show if one file of another use case still wrote it.
PREDICT_LEFTOVERS = re.compile(
    r'/v1/predict|\bpredict\(instances|\["predict"\]|operation="predict"|"predict_v1_'
)


def predict_route_leftovers(root: Path) -> list[str]:
    """Lines of a rendered project that name churn's `/v1/predict` route or `predict` field."""
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in text_files(root)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if PREDICT_LEFTOVERS.search(line)
    ]


def assert_serves_its_own_route(rest: Path, graphql: Path, route: str, field: str) -> None:
    """A use case's REST project serves ``POST route`` and its GraphQL project the ``field``
    query, in the code, OpenAPI, schema, alerts, README and tests, and churn's route nowhere."""
    assert predict_route_leftovers(rest) == []
    assert predict_route_leftovers(graphql) == []
    document = json.loads((rest / "services/serving/openapi.json").read_text())
    operation_slug = route.strip("/").replace("/", "_").replace("-", "_")
    assert document["paths"][route]["post"]["operationId"] == f"{field}_{operation_slug}_post"
    routes = (rest / "services/serving/src/serving/routes.py").read_text()
    assert f'@router.post(\n    "{route}",' in routes
    alerts = (rest / "services/monitoring/prometheus/alerts.test.yml").read_text()
    assert f'route="{route}"' in alerts
    assert f"curl -sS http://127.0.0.1:8000{route}" in (rest / "README.md").read_text()
    schema = (graphql / "services/serving/schema.graphql").read_text()
    assert f"{field}(instances: [CustomerInput!]!): PredictionResult!" in schema
    graphql_tests = graphql / "services/serving/tests/test_serving_graphql.py"
    assert f'operation="{field}",status="OK"' in graphql_tests.read_text()


def framework_renders(
    factory: pytest.TempPathFactory, answers: dict[str, object], stem: str
) -> dict[str, Path]:
    """``answers`` rendered with each ml_framework besides scikit-learn (read from copier.yml)."""
    from aiarch_scaffold.generate import create_project
    from aiarch_scaffold.questions import load_questions

    (question,) = (q for q in load_questions() if q.name == "ml_framework")
    return {
        framework: create_project(
            factory.mktemp("render") / f"{stem}-{framework}",
            {**answers, "ml_framework": framework},
        ).destination
        for framework in question.values
        if framework != "sklearn"
    }


def render_clean(destination: Path, answers: dict[str, object]) -> Path:
    """``answers`` rendered to ``destination``: no leftover Jinja or empty folders, only the
    chosen files, and ruff-clean (lint and format) as the project's own `make lint` checks."""
    from aiarch_scaffold.generate import create_project
    from tests.tools import run

    project = create_project(destination, answers).destination
    assert_clean_output(project)
    assert_only_chosen_files(project, answers)
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    return project
