"""use_case=segmentation: k-means with named segment profiles behind the same pipeline (issue 11).

Renders only (fast): the output is clean and ruff-clean, the use case's own modules are the ones
rendered, churn's and clv's are not, and copier refuses what segmentation does not cover yet,
with plain copier as with `aiarch new`. Installing and running the project's own tests
(silhouette above the spend-quantile baseline, the gate refusing a model of noise, ONNX parity,
the API contract) is the pairwise variants' job (`slow`), which the matrix picks up from
copier.yml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.plain import plain_refusal
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    assert_services_never_mention,
    missing_named_tests,
    text_files,
)
from tests.template.test_api_gateway_gcp_azure import _apim, _gateway_answer, _openapi
from tests.tools import run

SEGMENTATION = {"use_case": "segmentation"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(
        tmp_path_factory.mktemp("render") / "segmentation", SEGMENTATION
    ).destination


@pytest.fixture(scope="module")
def graphql_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**SEGMENTATION, "api_style": "graphql"}
    return create_project(
        tmp_path_factory.mktemp("render") / "segmentation-graphql", answers
    ).destination


@pytest.fixture(scope="module")
def framework_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """segmentation with each ml_framework besides scikit-learn (read from copier.yml)."""
    (question,) = (q for q in load_questions() if q.name == "ml_framework")
    return {
        framework: create_project(
            tmp_path_factory.mktemp("render") / f"segmentation-{framework}",
            {**SEGMENTATION, "ml_framework": framework},
        ).destination
        for framework in question.values
        if framework != "sklearn"
    }


def test_segmentation_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "segmentation" in question.values
    assert question.default == "churn"


def test_output_is_clean_and_has_only_the_chosen_files(
    project: Path, graphql_project: Path
) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, SEGMENTATION)
    assert_clean_output(graphql_project)


def test_python_is_ruff_clean(project: Path, graphql_project: Path) -> None:
    for root in (project, graphql_project):
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_the_use_case_modules_are_segmentations_own(project: Path) -> None:
    training = project / "services/training/src/training"
    model = (training / "model.py").read_text()
    assert "KMeans(n_clusters=n_segments" in model
    assert 'DEFAULT_MODEL_KIND: ModelKind = "kmeans"' in model
    gate = (training / "gate.py").read_text()
    assert "baseline_silhouette" in gate and "mean predictor" not in gate
    onnx_export = (training / "onnx_export.py").read_text()
    assert 'NAMES_METADATA = "segment_names"' in onnx_export
    labels = (project / "packages/contracts/src/contracts/labels.py").read_text()
    # The column name comes from the contract.
    assert '"known_segment"' not in labels and "LABEL_COLUMN: segment" in labels
    records = (project / "packages/contracts/src/contracts/records.py").read_text()
    assert "known_segment: Annotated[int, _ATTRIBUTE]" in records
    assert "segment_name: str" in records and "predicted_value" not in records
    serving = project / "services/serving/src/serving"
    assert 'OUTPUT_NAME = "segment"' in (serving / "output.py").read_text()
    assert "segmentation_assigned_segment" in (serving / "metrics.py").read_text()


def test_no_churn_or_clv_model_code_is_left_in_the_services(project: Path) -> None:
    assert_services_never_mention(
        project, ("churn_probability", "predict_proba", "roc_auc", "churned", "predicted_value")
    )


def test_the_generated_tests_prove_the_baseline_the_gate_and_parity(project: Path) -> None:
    tests = project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    onnx = (tests / "test_training_onnx.py").read_text()
    mlflow = (tests / "test_training_mlflow.py").read_text()
    assert "def test_every_kind_beats_the_spend_quantile_baseline_on_held_out_rows(" in units
    assert "def test_noise_features_do_not_pass_the_gate(" in units
    assert "def test_every_model_kind_exports_within_tolerance(" in onnx
    assert "def test_a_failed_parity_check_registers_nothing(" in onnx
    assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow
    api = (project / "services/serving/tests/test_serving_api.py").read_text()
    assert "def test_invalid_input_is_refused_with_the_field_named(" in api
    assert "def test_predict_requires_the_api_key(" in api
    assert "def test_a_model_without_segment_names_is_refused(" in api


def test_committed_api_documents_describe_the_segment(project: Path, graphql_project: Path) -> None:
    document = json.loads((project / "services/serving/openapi.json").read_text())
    prediction = document["components"]["schemas"]["Prediction"]
    assert set(prediction["properties"]) == {"customer_id", "segment", "segment_name"}
    assert prediction["properties"]["segment"]["minimum"] == 0
    schema = (graphql_project / "services/serving/schema.graphql").read_text()
    assert "segmentName: String!" in schema and "churnProbability" not in schema


# Where churn's route or GraphQL field would show if one file still wrote it out.
PREDICT_LEFTOVERS = re.compile(
    r'/v1/predict|\bpredict\(instances|\["predict"\]|operation="predict"|"predict_v1_'
)


def leftovers(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in text_files(root)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if PREDICT_LEFTOVERS.search(line)
    ]


def test_the_api_is_post_v1_segments_and_the_segments_query(
    project: Path, graphql_project: Path
) -> None:
    assert leftovers(project) == [] and leftovers(graphql_project) == []
    document = json.loads((project / "services/serving/openapi.json").read_text())
    operation = document["paths"]["/v1/segments"]["post"]
    assert operation["operationId"] == "segments_v1_segments_post"
    routes = (project / "services/serving/src/serving/routes.py").read_text()
    assert '@router.post(\n    "/v1/segments",' in routes
    alerts = (project / "services/monitoring/prometheus/alerts.test.yml").read_text()
    assert 'route="/v1/segments"' in alerts
    assert "curl -sS http://127.0.0.1:8000/v1/segments" in (project / "README.md").read_text()
    schema = (graphql_project / "services/serving/schema.graphql").read_text()
    assert "segments(instances: [CustomerInput!]!): PredictionResult!" in schema
    graphql_tests = graphql_project / "services/serving/tests/test_serving_graphql.py"
    assert 'operation="segments",status="OK"' in graphql_tests.read_text()


GATEWAYS = {
    "gcp-api-gateway": {"cloud": "gcp", "iac": "terraform", "deploy_target": "containers"},
    "gcp-endpoints": {"cloud": "gcp", "iac": "terraform", "deploy_target": "kubernetes"},
    "azure-apim": {"cloud": "azure", "iac": "terraform", "deploy_target": "containers"},
    "aws-cloudformation": {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
}


@pytest.mark.parametrize("gateway", GATEWAYS.values(), ids=GATEWAYS.keys())
def test_the_cloud_gateways_route_v1_segments_only(tmp_path: Path, gateway: dict[str, str]) -> None:
    answers = {**SEGMENTATION, **gateway, "api_gateway": "cloud"}
    project = create_project(tmp_path / "p", answers).destination
    assert leftovers(project) == []
    if gateway["cloud"] == "gcp":
        openapi = _openapi(project)
        key = {"x-goog-api-key": "c"}
        assert _gateway_answer(openapi, "POST", "/v1/segments", key) == 200
        assert _gateway_answer(openapi, "GET", "/v1/segments", key) == 404
        assert _gateway_answer(openapi, "POST", "/v1/predict", key) == 404
    elif gateway["cloud"] == "azure":
        operations = _apim(project)[("azurerm_api_management_api_operation", "this")]["for_each"]
        routes = {(op["method"], op["url"]) for op in operations.values()}
        assert routes == {("POST", "/v1/segments"), ("GET", "/readyz")}
        assert operations["segments"]["description"] == "Segment number and name per customer"
    else:
        stack = (project / "infra/cloudformation/api-gateway.yaml").read_text()
        assert "<url>/v1/segments with their key in X-API-Key" in stack


def test_monitoring_and_docs_cover_the_use_case(project: Path) -> None:
    dashboard = json.loads(
        (project / "services/monitoring/grafana/dashboards/model-serving.json").read_text()
    )
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    assert "segmentation_assigned_segment_bucket" in expressions and "churn" not in expressions
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert adr.startswith("# 23. Use case: customer segmentation")
    assert "silhouette" in adr and "N_SEGMENTS = 4" in adr
    assert (
        "training<br/>(train: segmentation model" in (project / "docs/architecture.md").read_text()
    )
    assert "APP_QUALITY_GATE_MIN_SILHOUETTE=0.35" in (project / ".env.example").read_text()


def test_framework_renders_are_clean_ruff_clean_and_have_only_the_chosen_files(
    framework_projects: dict[str, Path],
) -> None:
    assert set(framework_projects) == {"pytorch", "tensorflow"}
    for framework, root in framework_projects.items():
        assert_clean_output(root)
        assert_only_chosen_files(root, {**SEGMENTATION, "ml_framework": framework})
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_the_networks_segment_an_autoencoders_embedding_with_k_means(
    framework_projects: dict[str, Path],
) -> None:
    """The idiomatic approach of issue 11: an autoencoder, k-means on its embedding, one ONNX
    graph written from the fitted numbers with scikit-learn's outputs; no MLP head, no
    framework exporter, no skops or pickle."""
    for framework, root in framework_projects.items():
        training = root / "services/training/src/training"
        model = (training / "model.py").read_text()
        embedding = (training / "embedding.py").read_text()
        export = (training / "onnx_export.py").read_text()
        assert "from sklearn.cluster import KMeans" in embedding, framework
        assert 'helper.make_node("ArgMin", ["squared_distances"], [SEGMENT_OUTPUT]' in export
        assert "skl2onnx" not in export and "tf2onnx" not in export, framework
        assert "KMeans" not in model and "named_steps" not in model, framework
        network = {"pytorch": "torch_model.py", "tensorflow": "keras_model.py"}[framework]
        text = (training / network).read_text()
        assert "Autoencoder" in text or "def autoencoder(" in text, framework
        assert "MLPNetwork" not in text and "KerasNetwork" not in text, framework
        assert not (training / "torch_export.py").exists()
        assert not (training / "keras_export.py").exists()
        assert "pickle" not in embedding


def test_the_framework_tests_prove_the_gate_parity_and_safe_files(
    framework_projects: dict[str, Path],
) -> None:
    names = {
        "pytorch": (
            "test_training_torch.py",
            (
                "test_held_out_metrics_clear_the_quality_gate_with_margin",
                "test_the_same_seed_trains_the_same_weights",
                "test_onnx_export_answers_like_torch_on_the_holdout",
                "test_an_export_of_another_network_is_refused",
                "test_saved_files_are_safetensors_and_json_and_reload_exactly",
                "test_a_pickle_planted_as_the_weights_is_never_unpickled",
                "test_tampered_preprocessing_is_refused",
            ),
        ),
        "tensorflow": (
            "test_training_keras.py",
            (
                "test_held_out_metrics_clear_the_quality_gate_with_margin",
                "test_the_same_seed_trains_the_same_weights",
                "test_onnx_export_answers_like_keras_on_the_holdout",
                "test_an_export_of_another_network_is_refused",
                "test_keras_file_with_code_in_it_is_refused",
                "test_tampered_preprocessing_is_refused",
            ),
        ),
    }
    for framework, root in framework_projects.items():
        tests = root / "services/training/tests"
        file_name, expected = names[framework]
        text = (tests / file_name).read_text()
        for name in expected:
            assert f"def {name}(" in text, (framework, name)
        mlflow = (tests / "test_training_mlflow.py").read_text()
        assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow
        assert "Segmenter.load(onnx_file.parent)" in mlflow, framework
        units = (tests / "test_training_units.py").read_text()
        assert "def test_noise_features_do_not_pass_the_gate(" in units
        assert not missing_named_tests(root), framework


REFUSED = [
    ({"api_style": "grpc"}, "api_style=grpc is not offered with use_case=segmentation"),
    ({"ab_testing": True}, "ab_testing is not offered with use_case=segmentation"),
    ({"streaming": "kafka"}, "streaming=kafka is not offered with use_case=segmentation"),
    ({"feature_store": "feast"}, "feature_store=feast is not offered with use_case=segmentation"),
]


@pytest.mark.parametrize(("answers", "message"), REFUSED, ids=lambda v: str(v)[:30])
def test_aiarch_refuses_what_segmentation_does_not_cover_in_one_line(
    tmp_path: Path, answers: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        create_project(tmp_path / "p", {**SEGMENTATION, **answers})
    assert "\n" not in info.value.message
    assert not (tmp_path / "p").exists()


def test_plain_copier_refuses_segmentation_with_grpc(tmp_path: Path) -> None:
    output = plain_refusal({"use_case": "segmentation", "api_style": "grpc"}, tmp_path / "plain")
    assert "api_style=grpc is not offered with use_case=segmentation" in output
