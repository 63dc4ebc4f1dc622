"""use_case=clv: customer lifetime value, a regression behind the same pipeline (issue 11).

Renders only (fast): the output is clean and ruff-clean, clv's own modules are the ones
rendered and churn's are not, with every ml_framework and API style, Feast, Kafka and A/B tests
(copier refuses nothing with clv any more). Installing and running the project's own tests
(MAE below the mean predictor's, the gate refusing a degraded model, ONNX parity, the API
contract) is the pairwise variants' job (`slow`), which the matrix picks up from copier.yml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    assert_services_never_mention,
    framework_renders,
    render_clean,
)
from tests.tools import run

CLV = {"use_case": "clv"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("render") / "clv", CLV).destination


@pytest.fixture(scope="module")
def grpc_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**CLV, "api_style": "grpc"}
    return create_project(tmp_path_factory.mktemp("render") / "clv-grpc", answers).destination


@pytest.fixture(scope="module")
def graphql_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**CLV, "api_style": "graphql"}
    return create_project(tmp_path_factory.mktemp("render") / "clv-graphql", answers).destination


@pytest.fixture(scope="module")
def framework_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return framework_renders(tmp_path_factory, CLV, "clv")


def test_clv_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "clv" in question.values
    assert question.default == "churn"


def test_output_is_clean_and_has_only_the_chosen_files(
    project: Path, graphql_project: Path, grpc_project: Path
) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, CLV)
    assert_clean_output(graphql_project)
    assert_clean_output(grpc_project)
    assert_only_chosen_files(grpc_project, {**CLV, "api_style": "grpc"})


def test_every_framework_renders_clean_with_only_its_files(
    framework_projects: dict[str, Path],
) -> None:
    assert set(framework_projects) == {"pytorch", "tensorflow"}
    for framework, root in framework_projects.items():
        assert_clean_output(root)
        assert_only_chosen_files(root, {**CLV, "ml_framework": framework})


def test_python_is_ruff_clean(
    project: Path, graphql_project: Path, grpc_project: Path, framework_projects: dict[str, Path]
) -> None:
    for root in (project, graphql_project, grpc_project, *framework_projects.values()):
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_the_use_case_modules_are_clvs_own(project: Path) -> None:
    training = project / "services/training/src/training"
    assert "HistGradientBoostingRegressor" in (training / "model.py").read_text()
    assert (
        'DEFAULT_MODEL_KIND: ModelKind = "gradient_boosting"' in (training / "model.py").read_text()
    )
    gate = (training / "gate.py").read_text()
    assert "mean predictor" in gate and "pr_auc" not in gate
    assert 'PREDICTIONS_OUTPUT = "predictions"' in (training / "onnx_export.py").read_text()
    labels = (project / "packages/contracts/src/contracts/labels.py").read_text()
    assert "value_next_12m" not in labels  # the column name comes from the contract
    records = (project / "packages/contracts/src/contracts/records.py").read_text()
    assert "value_next_12m: Annotated[float, _ATTRIBUTE]" in records
    assert "predicted_value: float" in records and "churn_probability" not in records
    serving = project / "services/serving/src/serving"
    assert 'OUTPUT_NAME = "predictions"' in (serving / "output.py").read_text()
    assert "clv_predicted_value" in (serving / "metrics.py").read_text()


def test_the_networks_are_regressors_with_a_log_link(framework_projects: dict[str, Path]) -> None:
    """PyTorch and Keras fit the Poisson deviance on a log link and export the value to ONNX."""
    torch = framework_projects["pytorch"] / "services/training/src/training"
    torch_model = (torch / "torch_model.py").read_text()
    assert "class MLPRegressor(TorchMLP):" in torch_model
    assert "nn.PoissonNLLLoss(log_input=True)" in torch_model
    assert "load_file" in torch_model and "torch.save" not in torch_model
    assert 'DEFAULT_MODEL_KIND: ModelKind = "mlp"' in (torch / "model.py").read_text()
    assert "torch_to_onnx(model, PREDICTIONS_OUTPUT)" in (torch / "onnx_export.py").read_text()
    keras = framework_projects["tensorflow"] / "services/training/src/training"
    keras_model = (keras / "keras_model.py").read_text()
    assert "class KerasValueRegressor(KerasNetwork):" in keras_model
    assert 'LOSS = "poisson"' in keras_model and 'activation="exponential"' in keras_model
    assert "safe_mode=True" in keras_model
    assert 'DEFAULT_MODEL_KIND: ModelKind = "keras_mlp"' in (keras / "model.py").read_text()
    assert (
        "return KerasValueRegressor(seed=0, network=network)" in (keras / "tracking.py").read_text()
    )


def test_no_churn_model_code_or_text_is_left_in_the_services(
    project: Path, grpc_project: Path, framework_projects: dict[str, Path]
) -> None:
    churn = ("churn_probability", "churnProbability", "predict_proba", "roc_auc", "churned")
    for root in (project, grpc_project, *framework_projects.values()):
        assert_services_never_mention(root, (*churn, "Classifier"))


def test_the_generated_tests_prove_the_baseline_the_gate_and_parity(project: Path) -> None:
    tests = project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    onnx = (tests / "test_training_onnx.py").read_text()
    mlflow = (tests / "test_training_mlflow.py").read_text()
    assert "def test_every_kind_beats_the_mean_predictor_on_held_out_rows(" in units
    assert "def test_every_model_kind_exports_within_tolerance(" in onnx
    assert "def test_a_failed_parity_check_registers_nothing(" in onnx
    assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow
    api = (project / "services/serving/tests/test_serving_api.py").read_text()
    assert "def test_invalid_input_is_refused_with_the_field_named(" in api
    assert "def test_predict_requires_the_api_key(" in api


def test_the_framework_tests_prove_the_gate_parity_and_safe_files(
    framework_projects: dict[str, Path],
) -> None:
    tests = framework_projects["pytorch"] / "services/training/tests"
    torch = (tests / "test_training_torch.py").read_text()
    for name in (
        "test_held_out_metrics_clear_the_quality_gate",
        "test_the_same_seed_trains_the_same_weights",
        "test_onnx_export_answers_like_torch_on_the_holdout",
        "test_a_pickle_planted_as_the_weights_is_never_unpickled",
    ):
        assert f"def {name}(" in torch, name
    assert "MLPRegressor.load(" in (tests / "test_training_mlflow.py").read_text()
    tests = framework_projects["tensorflow"] / "services/training/tests"
    keras = (tests / "test_training_keras.py").read_text()
    for name in (
        "test_keras_model_clears_the_quality_gate_on_held_out_synthetic_data",
        "test_onnx_export_answers_like_keras_on_the_holdout",
        "test_keras_file_with_code_in_it_is_refused",
    ):
        assert f"def {name}(" in keras, name
    assert 'evaluation.metrics["mae"] < 0.9 * evaluation.metrics["baseline_mae"]' in keras
    for root in framework_projects.values():
        mlflow = (root / "services/training/tests/test_training_mlflow.py").read_text()
        assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow


def test_committed_api_documents_describe_the_predicted_value(
    project: Path, graphql_project: Path
) -> None:
    document = json.loads((project / "services/serving/openapi.json").read_text())
    prediction = document["components"]["schemas"]["Prediction"]
    assert set(prediction["properties"]) == {"customer_id", "predicted_value"}
    assert prediction["properties"]["predicted_value"]["minimum"] == 0
    schema = (graphql_project / "services/serving/schema.graphql").read_text()
    assert "predictedValue: Float!" in schema and "churnProbability" not in schema


def test_the_proto_contract_carries_the_predicted_value(grpc_project: Path) -> None:
    """gRPC answers clv with a value per customer; the request is churn's (same features)."""
    proto_dir = grpc_project / "packages/contracts/src/contracts/proto/churn/serving/v1"
    proto = (proto_dir / "prediction.proto").read_text()
    prediction = proto.split("message Prediction {", 1)[1].split("}", 1)[0]
    assert "double predicted_value = 2;" in prediction
    assert "churn" not in prediction
    assert "churn_probability" not in (proto_dir / "prediction_pb2.pyi").read_text()
    convert = (grpc_project / "services/serving/src/serving/grpc_convert.py").read_text()
    assert "predicted_value=prediction.predicted_value" in convert
    tests = (grpc_project / "services/serving/tests/test_serving_grpc.py").read_text()
    for test in (
        "def test_prediction_equals_the_models_own_output(",
        "def test_validation_errors_name_the_field(",
        "def test_predict_without_or_with_a_wrong_key_is_unauthenticated(",
    ):
        assert test in tests
    assert '_count(server, "clv_predictions_total") == 2' in tests


def test_monitoring_and_docs_cover_the_use_case(project: Path) -> None:
    dashboard = json.loads(
        (project / "services/monitoring/grafana/dashboards/model-serving.json").read_text()
    )
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    assert "clv_predicted_value_bucket" in expressions and "churn" not in expressions
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert adr.startswith("# 23. Use case: customer lifetime value")
    assert "mean predictor" in adr
    assert "training<br/>(train: clv model" in (project / "docs/architecture.md").read_text()
    assert "APP_QUALITY_GATE_MIN_IMPROVEMENT=0.1" in (project / ".env.example").read_text()


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_the_online_lookup_serves_lifetime_values(tmp_path: Path, api_style: str) -> None:
    """feature_store=feast: customers given by id are valued through serving.predict, the same
    code as for features sent in the request, with every API style."""
    answers = {**CLV, "feature_store": "feast", "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    serving = project / "services/serving/src/serving"
    online = (serving / "online.py").read_text()
    assert "from serving.predict import Scores, score_columns, scores_json, scores_response" in (
        online
    )
    assert "churn" not in online
    store = (project / "packages/contracts/src/contracts/feature_store.py").read_text()
    assert 'FEATURE_SERVICE = "clv_model"' in store
    e2e = (project / "tests/e2e/test_feature_store.py").read_text()
    assert f"def test_{api_style}_scores_customer_ids_like_their_features(" in e2e
    assert "probabilities" not in e2e and "churnProbability" not in e2e
    if api_style == "graphql":
        schema = (project / "services/serving/schema.graphql").read_text()
        assert "predictByCustomerIds(customerIds: [String!]!): PredictionResult!" in schema
        assert "predictedValue: Float!" in schema
    if api_style == "grpc":
        proto = project / "packages/contracts/src/contracts/proto/churn/serving/v1"
        assert "rpc PredictByCustomerIds(" in (proto / "prediction.proto").read_text()
        assert "PredictByCustomerIds" in (proto / "prediction_pb2_grpc.py").read_text()


def test_customer_events_carry_the_lifetime_value(tmp_path: Path) -> None:
    """streaming=kafka: the event payload carries clv's label, drawn by the batch's own model
    (contracts.labels), and a `lapsed` event must bring no revenue."""
    answers = {**CLV, "streaming": "kafka"}
    project = render_clean(tmp_path / "p", answers)
    events = (project / "packages/contracts/src/contracts/events.py").read_text()
    assert "value_next_12m: Annotated[float, _ATTRIBUTE]" in events
    assert '"lapsed"' in events and "churn" not in events
    synthetic = (project / "services/events/src/events/synthetic.py").read_text()
    assert "from contracts.labels import draw_label" in synthetic
    assert "churn" not in synthetic
    tests = project / "services/events/tests"
    assert (
        "def test_a_lapsed_event_must_bring_no_revenue("
        in (tests / "test_events_schema.py").read_text()
    )
    assert (
        "def test_values_follow_the_batch_datas_signal("
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


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_the_experiment_decides_on_revenue(tmp_path: Path, api_style: str) -> None:
    """ab_testing: clv's experiment is its own (clv-model), revenue is its primary outcome
    (Welch's t-test), and every API style serves the assignments as with churn."""
    answers = {**CLV, "ab_testing": True, "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    definition = (project / "experiments/clv-model.yaml").read_text()
    metrics = definition.split("\nmetrics:\n", 1)[1]
    assert metrics.startswith("  - name: revenue\n    kind: continuous\n")
    assert "APP_EXPERIMENT_NAME=clv-model" in (project / ".env.example").read_text()
    tests = project / "services/experiments/tests"
    analysis = (tests / "test_experiments_analysis.py").read_text()
    for test in (
        "def test_a_planted_effect_is_detected(",
        "def test_a_harmful_treatment_is_reported_as_worse(",
        "def test_aa_tests_are_flagged_no_more_often_than_alpha(",
        "def test_a_retention_effect_alone_does_not_decide(",
    ):
        assert test in analysis
    assert 'revenue.test == "Welch\'s t-test"' in analysis
    serving_tests = {
        "rest": "test_serving_assignments.py",
        "grpc": "test_serving_grpc_assignments.py",
        "graphql": "test_serving_graphql_assignments.py",
    }[api_style]
    assert "clv-model" in (project / "services/serving/tests" / serving_tests).read_text()
