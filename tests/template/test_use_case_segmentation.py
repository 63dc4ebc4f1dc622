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
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.grpc_gateways import GRPC_GATEWAYS, assert_gateway_carries_the_contract
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    assert_serves_its_own_route,
    assert_services_never_mention,
    framework_renders,
    missing_named_tests,
    predict_route_leftovers,
    render_clean,
)
from tests.template.test_api_gateway_gcp_azure import (
    _apim,
    _gateway_answer,
    _openapi,
)
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
    return framework_renders(tmp_path_factory, SEGMENTATION, "segmentation")


@pytest.fixture(scope="module")
def grpc_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**SEGMENTATION, "api_style": "grpc"}
    return create_project(
        tmp_path_factory.mktemp("render") / "segmentation-grpc", answers
    ).destination


def test_segmentation_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "segmentation" in question.values
    assert question.default == "churn"


def test_output_is_clean_and_has_only_the_chosen_files(
    project: Path, graphql_project: Path, grpc_project: Path
) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, SEGMENTATION)
    assert_clean_output(graphql_project)
    assert_clean_output(grpc_project)
    assert_only_chosen_files(grpc_project, {**SEGMENTATION, "api_style": "grpc"})


def test_python_is_ruff_clean(project: Path, graphql_project: Path, grpc_project: Path) -> None:
    for root in (project, graphql_project, grpc_project):
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


def test_no_churn_or_clv_model_code_is_left_in_the_services(
    project: Path, grpc_project: Path
) -> None:
    for root in (project, grpc_project):
        assert_services_never_mention(
            root, ("churn_probability", "predict_proba", "roc_auc", "churned", "predicted_value")
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


PROTO_DIR = "packages/contracts/src/contracts/proto/churn/serving/v1"


def _prediction_message(project: Path) -> str:
    proto = (project / PROTO_DIR / "prediction.proto").read_text()
    return proto.split("message Prediction {", 1)[1].split("}", 1)[0]


def test_the_proto_contract_carries_the_segment_and_its_name(grpc_project: Path) -> None:
    """gRPC answers segmentation with a segment number and name per customer, on field numbers
    no other use case uses; the request messages are churn's (same features)."""
    prediction = _prediction_message(grpc_project)
    assert "int64 segment = 4;" in prediction and "string segment_name = 5;" in prediction
    assert "churn" not in prediction and "predicted_value" not in prediction
    stubs = (grpc_project / PROTO_DIR / "prediction_pb2.pyi").read_text()
    assert "segment_name: str" in stubs and "churn_probability" not in stubs
    convert = (grpc_project / "services/serving/src/serving/grpc_convert.py").read_text()
    assert "segment=prediction.segment, segment_name=prediction.segment_name" in convert
    tests = (grpc_project / "services/serving/tests/test_serving_grpc.py").read_text()
    for test in (
        "def test_prediction_equals_the_models_own_output(",
        "def test_validation_errors_name_the_field(",
        "def test_predict_without_or_with_a_wrong_key_is_unauthenticated(",
        "def test_oversize_message_is_refused(",
    ):
        assert test in tests
    assert '_count(server, "segmentation_assignments_total") == 2' in tests
    catalog = (grpc_project / "catalog-info.yaml").read_text()
    assert "title: Customer segmentation API" in catalog and "Churn prob" not in catalog
    adr = (grpc_project / "docs/adr/0023-use-case.md").read_text()
    assert "`segment` (field 4) and `segment_name` (field 5)" in adr


@pytest.mark.parametrize(
    ("use_case", "fields"),
    [
        ("churn", "  double churn_probability = 2;\n  bool churn = 3;\n"),
        ("clv", "  double predicted_value = 2;\n"),
    ],
)
def test_churns_and_clvs_wire_format_is_unchanged(
    tmp_path: Path, use_case: str, fields: str
) -> None:
    """Segmentation's fields are its own: churn's and clv's Prediction keep their fields and
    numbers (their committed stubs, checked against the proto by test_grpc_stubs, are as before)."""
    project = create_project(
        tmp_path / "p", {"use_case": use_case, "api_style": "grpc"}
    ).destination
    assert _prediction_message(project) == f"\n  optional string customer_id = 1;\n{fields}"


def test_the_api_is_post_v1_segments_and_the_segments_query(
    project: Path, graphql_project: Path
) -> None:
    assert_serves_its_own_route(project, graphql_project, "/v1/segments", "segments")


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
    assert predict_route_leftovers(project) == []
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


@pytest.mark.parametrize("gateway", GRPC_GATEWAYS.values(), ids=GRPC_GATEWAYS.keys())
def test_the_grpc_gateways_route_predict_with_segmentations_contract(
    tmp_path: Path, gateway: dict[str, str]
) -> None:
    fields = (b"\n\x07segment\x18\x04", b"\n\x0csegment_name\x18\x05")
    answers = {**SEGMENTATION, **gateway}
    assert_gateway_carries_the_contract(tmp_path / "p", answers, fields, "int64 segment = 4;")


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


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_the_online_lookup_serves_named_segments(tmp_path: Path, api_style: str) -> None:
    """feature_store=feast: customers given by id are segmented through serving.predict, the
    same code as for features sent in the request, with every API style."""
    answers = {**SEGMENTATION, "feature_store": "feast", "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    if api_style != "grpc":  # gRPC's proto path holds "/v1/prediction.proto"
        assert predict_route_leftovers(project) == []
    serving = project / "services/serving/src/serving"
    online = (serving / "online.py").read_text()
    assert "from serving.predict import Scores, score_columns, scores_json, scores_response" in (
        online
    )
    assert "churn" not in online
    store = (project / "packages/contracts/src/contracts/feature_store.py").read_text()
    assert 'FEATURE_SERVICE = "segmentation_model"' in store
    e2e = (project / "tests/e2e/test_feature_store.py").read_text()
    assert f"def test_{api_style}_scores_customer_ids_like_their_features(" in e2e
    assert "[n for _, n in by_id] == [n for _, n in by_vector]" in e2e
    assert "probabilities" not in e2e and "churnProbability" not in e2e
    if api_style == "rest":
        document = json.loads((project / "services/serving/openapi.json").read_text())
        request = document["components"]["schemas"]["PredictionRequest"]
        assert set(request["properties"]) == {"instances", "customer_ids"}
        assert set(document["paths"]["/v1/segments"]["post"]["responses"]) >= {"404", "503"}
    if api_style == "graphql":
        schema = (project / "services/serving/schema.graphql").read_text()
        assert "predictByCustomerIds(customerIds: [String!]!): PredictionResult!" in schema
        assert "segmentName: String!" in schema and "shared with segments" in schema
    if api_style == "grpc":
        proto = project / "packages/contracts/src/contracts/proto/churn/serving/v1"
        assert "rpc PredictByCustomerIds(" in (proto / "prediction.proto").read_text()
        assert "PredictByCustomerIds" in (proto / "prediction_pb2_grpc.py").read_text()


def test_customer_events_carry_the_planted_segments(tmp_path: Path) -> None:
    """streaming=kafka: the event payload carries the attributes moved to the customer's planted
    segment and segmentation's label, drawn by the batch's own model (contracts.labels), and a
    `lapsed` event must report low engagement."""
    answers = {**SEGMENTATION, "streaming": "kafka"}
    project = render_clean(tmp_path / "p", answers)
    events = (project / "packages/contracts/src/contracts/events.py").read_text()
    assert "known_segment: Annotated[int, _ATTRIBUTE]" in events
    assert '"lapsed"' in events and "churn" not in events
    assert "payload.engagement_score below 0.5" in events
    synthetic = (project / "services/events/src/events/synthetic.py").read_text()
    assert "from contracts.labels import SEGMENTS, draw_label" in synthetic
    assert "attributes |= draw_label(attributes, rng)" in synthetic
    assert "churn" not in synthetic
    tests = project / "services/events/tests"
    schema_tests = (tests / "test_events_schema.py").read_text()
    assert "def test_a_lapsed_event_must_report_low_engagement(" in schema_tests
    assert "def test_an_out_of_range_segment_is_invalid(" in schema_tests
    assert (
        "def test_events_carry_the_batch_datas_planted_segments("
        in (tests / "test_events_synthetic.py").read_text()
    )
    # Replay idempotence and the dead letters are the consumer's own, for every use case.
    consumer = (tests / "test_events_consumer.py").read_text()
    assert "def test_each_event_lands_once_and_a_replay_leaves_the_lake_byte_identical(" in (
        consumer
    )
    assert "def test_a_malformed_event_is_dead_lettered_with_its_reason_and_the_rest_flows(" in (
        consumer
    )
    adr = (project / "docs/adr/0021-event-ingestion.md").read_text()
    assert "a `lapsed` event must\n  carry an `engagement_score` below 0.5" in adr


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_the_experiment_decides_on_campaign_conversions(tmp_path: Path, api_style: str) -> None:
    """ab_testing: segmentation's experiment is its own (segmentation-model), the conversion rate
    of segment-targeted campaigns is its primary outcome (two-proportion z-test), revenue is
    secondary, and every API style serves the assignments as with churn."""
    answers = {**SEGMENTATION, "ab_testing": True, "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    if api_style != "grpc":  # gRPC's proto path holds "/v1/prediction.proto"
        assert predict_route_leftovers(project) == []
    definition = (project / "experiments/segmentation-model.yaml").read_text()
    metrics = definition.split("\nmetrics:\n", 1)[1]
    assert metrics.startswith("  - name: converted\n    kind: conversion\n")
    assert "segment-targeted campaigns" in definition
    assert "APP_EXPERIMENT_NAME=segmentation-model" in (project / ".env.example").read_text()
    tests = project / "services/experiments/tests"
    analysis = (tests / "test_experiments_analysis.py").read_text()
    for test in (
        "def test_a_planted_effect_is_detected(",
        "def test_a_harmful_treatment_is_reported_as_worse(",
        "def test_aa_tests_are_flagged_no_more_often_than_alpha(",
        "def test_a_sample_ratio_mismatch_makes_the_verdict_invalid(",
        "def test_a_revenue_effect_alone_does_not_decide(",
    ):
        assert test in analysis
    serving_tests = {
        "rest": "test_serving_assignments.py",
        "grpc": "test_serving_grpc_assignments.py",
        "graphql": "test_serving_graphql_assignments.py",
    }[api_style]
    assert "segmentation-model" in (project / "services/serving/tests" / serving_tests).read_text()
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert "two-proportion z-test" in adr and "segmentation-model" in adr


def test_copier_refuses_nothing_with_segmentation() -> None:
    """Every ml_framework, API style, Feast, Kafka and A/B testing work with segmentation: no
    validator of copier.yml names it any more."""
    copier_yml = (Path(__file__).parents[2] / "copier.yml").read_text()
    assert "with use_case=segmentation" not in copier_yml
    assert "use_case == 'segmentation'" not in copier_yml
