"""use_case=pricing: a log-log demand model and a guard-railed price optimiser (issue 11),
with scikit-learn, PyTorch or TensorFlow.

Renders only (fast): the output is clean and ruff-clean, the use case's own modules are the ones
rendered, churn's, clv's and segmentation's are not, and copier refuses nothing with pricing.
Installing and running the project's own
tests (demand error below the naive baseline, simulated uplift, the gate refusing a model of
shuffled prices, ONNX parity, the guard-rail attacks, the API contract) is the pairwise
variants' job (`slow`), which the matrix picks up from copier.yml.
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

PRICING = {"use_case": "pricing"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_project(tmp_path_factory.mktemp("render") / "pricing", PRICING).destination


@pytest.fixture(scope="module")
def graphql_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**PRICING, "api_style": "graphql"}
    destination = tmp_path_factory.mktemp("render") / "pricing-graphql"
    return create_project(destination, answers).destination


@pytest.fixture(scope="module")
def grpc_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**PRICING, "api_style": "grpc"}
    destination = tmp_path_factory.mktemp("render") / "pricing-grpc"
    return create_project(destination, answers).destination


@pytest.fixture(scope="module")
def framework_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return framework_renders(tmp_path_factory, PRICING, "pricing")


@pytest.fixture(scope="module")
def torch_project(framework_projects: dict[str, Path]) -> Path:
    return framework_projects["pytorch"]


@pytest.fixture(scope="module")
def keras_project(framework_projects: dict[str, Path]) -> Path:
    return framework_projects["tensorflow"]


def test_pricing_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "pricing" in question.values
    assert question.default == "churn"


def test_output_is_clean_and_has_only_the_chosen_files(
    project: Path, graphql_project: Path, grpc_project: Path
) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, PRICING)
    assert_clean_output(graphql_project)
    assert_clean_output(grpc_project)
    assert_only_chosen_files(grpc_project, {**PRICING, "api_style": "grpc"})
    assert missing_named_tests(grpc_project) == []
    assert missing_named_tests(graphql_project) == []


def test_python_is_ruff_clean(project: Path, graphql_project: Path, grpc_project: Path) -> None:
    for root in (project, graphql_project, grpc_project):
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_every_framework_renders_clean_with_only_its_files(
    framework_projects: dict[str, Path],
) -> None:
    assert set(framework_projects) == {"pytorch", "tensorflow"}
    for framework, root in framework_projects.items():
        assert_clean_output(root)
        assert_only_chosen_files(root, {**PRICING, "ml_framework": framework})
        assert missing_named_tests(root) == []
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_the_demand_network_keeps_a_negative_log_log_price_term(torch_project: Path) -> None:
    """PyTorch: log demand = MLP(every feature but the price) + elasticity * log(markup), the
    elasticity -softplus per channel; Poisson deviance; safetensors; exported with the
    scikit-learn export's ``units`` output."""
    training = torch_project / "services/training/src/training"
    torch_model = (training / "torch_model.py").read_text()
    assert "class DemandNetwork(nn.Module):" in torch_model
    assert "class DemandRegressor(TorchMLP):" in torch_model
    assert "return -nn.functional.softplus(" in torch_model
    assert "mask[self.price] = 0.0" in torch_model
    assert "nn.PoissonNLLLoss(log_input=True)" in torch_model
    assert "load_file" in torch_model and "torch.save" not in torch_model
    model = (training / "model.py").read_text()
    assert 'DEFAULT_MODEL_KIND: ModelKind = "mlp"' in model
    assert "Ridge" not in model and "SKOPS" not in model
    onnx_export = (training / "onnx_export.py").read_text()
    assert "torch_to_onnx(model, UNITS_OUTPUT)" in onnx_export
    assert 'UNITS_OUTPUT = "units"' in onnx_export
    tests = torch_project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    assert "def test_the_networks_elasticities_are_negative_whatever_its_weights(" in units
    assert "def test_a_model_with_its_elasticities_flipped_does_not_pass_the_gate(" in units
    assert "def test_a_model_fitted_on_shuffled_prices_does_not_pass_the_gate(" in units
    torch_tests = (tests / "test_training_torch.py").read_text()
    assert "def test_onnx_export_answers_like_torch_on_the_holdout(" in torch_tests
    assert "def test_a_pickle_planted_as_the_weights_is_never_unpickled(" in torch_tests
    assert "def test_a_tampered_target_scale_is_refused(" in torch_tests
    security = (torch_project / "docs/security.md").read_text()
    assert "::test_the_networks_elasticities_are_negative_whatever_its_weights`" in security
    assert "DemandRegressor.load(" in (tests / "test_training_mlflow.py").read_text()
    assert "PyTorch demand network" in (torch_project / "docs/adr/0023-use-case.md").read_text()


def test_the_keras_demand_network_keeps_a_negative_log_log_price_term(
    keras_project: Path,
) -> None:
    """Keras: the hidden layer never sees the price, log demand = its level + elasticity *
    log(markup), the elasticity -softplus per channel and engagement, a Poisson loss on an
    exponential output; .keras in safe mode; exported with the scikit-learn export's ``units``
    output, the log-log regression kept as the baseline kind."""
    training = keras_project / "services/training/src/training"
    keras_model = (training / "keras_model.py").read_text()
    assert "class KerasDemandRegressor(KerasNetwork):" in keras_model
    hidden = 'HIDDEN_NUMERIC = tuple(name for name in NUMERIC_FEATURES if name != "unit_price")'
    assert hidden in keras_model
    assert 'layers.Activation("softplus", name="softplus_sensitivity")' in keras_model
    assert 'layers.Rescaling(scale=-1.0, name="elasticity")' in keras_model
    assert 'LOSS = "poisson"' in keras_model
    assert "safe_mode=True" in keras_model and "Lambda(" not in keras_model
    model = (training / "model.py").read_text()
    assert 'DEFAULT_MODEL_KIND: ModelKind = "keras_mlp"' in model
    assert 'MODEL_KINDS: tuple[ModelKind, ...] = ("keras_mlp", "loglinear")' in model
    onnx_export = (training / "onnx_export.py").read_text()
    assert "keras_to_onnx(pipeline, UNITS_OUTPUT)" in onnx_export
    tests = keras_project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    assert "def test_the_networks_elasticities_are_negative_whatever_its_weights(" in units
    assert 'layer("demand_level").output, layer("price_effect").output' in units
    keras_tests = (tests / "test_training_keras.py").read_text()
    assert "def test_onnx_export_answers_like_keras_on_the_holdout(" in keras_tests
    assert "def test_keras_file_with_code_in_it_is_refused(" in keras_tests
    assert '"unit_price": [21.6]' in keras_tests
    security = (keras_project / "docs/security.md").read_text()
    assert "::test_the_networks_elasticities_are_negative_whatever_its_weights`" in security
    assert "::test_keras_file_with_code_in_it_is_refused`" in security
    assert "load_registered(" in (tests / "test_training_mlflow.py").read_text()
    assert "Keras demand network" in (keras_project / "docs/adr/0023-use-case.md").read_text()
    serving_tests = keras_project / "services/serving/tests/conftest.py"
    assert 'build_pipeline("loglinear", seed=0)' in serving_tests.read_text()


def test_serving_and_the_optimiser_are_the_same_for_every_framework(
    project: Path, framework_projects: dict[str, Path]
) -> None:
    """One code path: each framework variant's serving package and price optimiser are the
    scikit-learn variant's, file for file."""
    for part in ("services/serving/src", "packages/contracts/src/contracts/pricing.py"):
        sklearn_files = sorted((project / part).rglob("*.py")) or [project / part]
        for path in sklearn_files:
            for framework, root in framework_projects.items():
                twin = root / path.relative_to(project)
                assert twin.read_text() == path.read_text(), (framework, path.relative_to(project))


def test_the_use_case_modules_are_pricings_own(project: Path) -> None:
    training = project / "services/training/src/training"
    model = (training / "model.py").read_text()
    assert "def demand_design(" in model
    assert 'DEFAULT_MODEL_KIND: ModelKind = "loglinear"' in model
    gate = (training / "gate.py").read_text()
    assert "expected_units" in gate and "baseline_silhouette" not in gate
    assert 'UNITS_OUTPUT = "units"' in (training / "onnx_export.py").read_text()
    contracts = project / "packages/contracts/src/contracts"
    assert "LABEL_COLUMN: np.clip(units" in (contracts / "labels.py").read_text()
    pricing = (contracts / "pricing.py").read_text()
    assert "def optimise(" in pricing and "class GuardRailConflict(" in pricing
    records = (contracts / "records.py").read_text()
    assert "unit_price: Annotated[float, _ATTRIBUTE]" in records
    assert "units_sold: Annotated[int, _ATTRIBUTE]" in records
    assert "proposed_price: float" in records and "segment_name" not in records
    features = (contracts / "features.py").read_text()
    assert 'PRODUCT_NUMERIC: tuple[str, ...] = ("unit_price", "unit_cost")' in features
    serving = project / "services/serving/src/serving"
    assert 'OUTPUT_NAME = "units"' in (serving / "output.py").read_text()
    assert "pricing_price_change_ratio" in (serving / "metrics.py").read_text()


def test_no_other_use_case_model_code_is_left_in_the_services(project: Path) -> None:
    assert_services_never_mention(
        project,
        ("churn_probability", "predict_proba", "roc_auc", "predicted_value", "segment_name"),
    )


def test_the_generated_tests_prove_the_baseline_the_gate_parity_and_the_rails(
    project: Path,
) -> None:
    tests = project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    onnx = (tests / "test_training_onnx.py").read_text()
    mlflow = (tests / "test_training_mlflow.py").read_text()
    assert "def test_demand_error_beats_the_naive_baseline_and_the_prices_earn_more(" in units
    assert "def test_a_model_fitted_on_shuffled_prices_does_not_pass_the_gate(" in units
    assert "def test_a_model_with_its_elasticities_flipped_does_not_pass_the_gate(" in units
    assert "def test_every_proposed_price_stays_inside_the_guard_rails(" in units
    assert "def test_every_model_kind_exports_within_tolerance(" in onnx
    assert "def test_a_failed_parity_check_registers_nothing(" in onnx
    assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow
    api = (project / "services/serving/tests/test_serving_api.py").read_text()
    assert "def test_invalid_input_is_refused_with_the_field_named(" in api
    assert "def test_predict_requires_the_api_key(" in api
    assert "def test_attack_wide_caller_bounds_never_move_a_price_beyond_one_step(" in api
    assert "def test_attack_guard_rails_that_leave_no_price_are_refused_never_answered(" in api


def test_committed_api_documents_describe_the_quote(project: Path, graphql_project: Path) -> None:
    document = json.loads((project / "services/serving/openapi.json").read_text())
    prediction = document["components"]["schemas"]["Prediction"]
    assert set(prediction["properties"]) == {
        "customer_id",
        "proposed_price",
        "expected_units",
        "expected_revenue",
        "expected_margin",
        "bound",
    }
    instance = document["components"]["schemas"]["PredictionInstance"]
    assert {"unit_price", "unit_cost", "min_price", "max_price"} <= set(instance["properties"])
    schema = (graphql_project / "services/serving/schema.graphql").read_text()
    assert "proposedPrice: Float!" in schema and "churnProbability" not in schema
    assert "minPrice: Float" in schema


def test_the_api_is_post_v1_price_quote_and_the_price_quote_query(
    project: Path, graphql_project: Path
) -> None:
    assert_serves_its_own_route(project, graphql_project, "/v1/price-quote", "priceQuote")


PROTO_DIR = "packages/contracts/src/contracts/proto/churn/serving/v1"


def _message(project: Path, name: str) -> str:
    proto = (project / PROTO_DIR / "prediction.proto").read_text()
    return proto.split(f"message {name} {{", 1)[1].split("}", 1)[0]


def test_the_proto_contract_carries_the_product_and_the_quote(grpc_project: Path) -> None:
    """gRPC takes the product's price, cost and the caller's bounds after churn's customer
    attributes, and answers a quote on field numbers no other use case uses."""
    instance = _message(grpc_project, "PredictionInstance")
    assert "  optional string region = 7;" in instance
    for field in (
        "optional double unit_price = 8;",
        "optional double unit_cost = 9;",
        "optional double min_price = 10;",
        "optional double max_price = 11;",
    ):
        assert field in instance
    prediction = _message(grpc_project, "Prediction")
    for field in (
        "double proposed_price = 6;",
        "double expected_units = 7;",
        "double expected_revenue = 8;",
        "double expected_margin = 9;",
        "string bound = 10;",
    ):
        assert field in prediction
    assert "churn" not in prediction and "segment" not in prediction
    stubs = (grpc_project / PROTO_DIR / "prediction_pb2.pyi").read_text()
    assert "proposed_price: float" in stubs and "churn_probability" not in stubs
    convert = (grpc_project / "services/serving/src/serving/grpc_convert.py").read_text()
    assert "proposed_price=prediction.proposed_price," in convert
    assert "def refused(exc: ValidationError) -> InvalidRequest:" in convert
    tests = (grpc_project / "services/serving/tests/test_serving_grpc.py").read_text()
    for test in (
        "def test_prediction_equals_the_models_own_output(",
        "def test_validation_errors_name_the_field(",
        "def test_predict_without_or_with_a_wrong_key_is_unauthenticated(",
        "def test_oversize_message_is_refused(",
        "def test_invalid_product_fields_are_refused_with_the_field_named(",
        "def test_attack_wide_caller_bounds_never_move_a_price_beyond_one_step(",
        "def test_attack_guard_rails_that_leave_no_price_are_refused_never_answered(",
    ):
        assert test in tests
    assert '"unit_price": st.floats(10, 1_000),' in tests  # fuzzed valid requests are quotes
    catalog = (grpc_project / "catalog-info.yaml").read_text()
    assert "title: Dynamic pricing API" in catalog and "Churn prob" not in catalog
    adr = (grpc_project / "docs/adr/0023-use-case.md").read_text()
    assert "`proposed_price` (6)" in adr and "INVALID_ARGUMENT naming the field" in adr


@pytest.mark.parametrize(
    ("use_case", "fields"),
    [
        ("churn", "  double churn_probability = 2;\n  bool churn = 3;\n"),
        ("clv", "  double predicted_value = 2;\n"),
        ("segmentation", "  int64 segment = 4; // >= 0\n"),
    ],
)
def test_the_other_use_cases_wire_format_is_unchanged(
    tmp_path: Path, use_case: str, fields: str
) -> None:
    """Pricing's fields are its own: the other use cases' messages keep their fields and numbers
    (their committed stubs, checked against the proto by test_grpc_stubs, are as before)."""
    project = create_project(
        tmp_path / "p", {"use_case": use_case, "api_style": "grpc"}
    ).destination
    assert _message(project, "Prediction").startswith(
        f"\n  optional string customer_id = 1;\n{fields}"
    )
    instance = _message(project, "PredictionInstance")
    assert instance.rstrip().endswith("optional string region = 7; // north | south | east | west")
    assert "unit_price" not in (project / PROTO_DIR / "prediction_pb2.pyi").read_text()


GATEWAYS = {
    "gcp-api-gateway": {"cloud": "gcp", "iac": "terraform", "deploy_target": "containers"},
    "azure-apim": {"cloud": "azure", "iac": "terraform", "deploy_target": "containers"},
    "aws-cloudformation": {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
}


@pytest.mark.parametrize("gateway", GATEWAYS.values(), ids=GATEWAYS.keys())
def test_the_cloud_gateways_route_v1_price_quote_only(
    tmp_path: Path, gateway: dict[str, str]
) -> None:
    answers = {**PRICING, **gateway, "api_gateway": "cloud"}
    project = create_project(tmp_path / "p", answers).destination
    assert predict_route_leftovers(project) == []
    if gateway["cloud"] == "gcp":
        openapi = _openapi(project)
        key = {"x-goog-api-key": "c"}
        assert _gateway_answer(openapi, "POST", "/v1/price-quote", key) == 200
        assert _gateway_answer(openapi, "POST", "/v1/predict", key) == 404
    elif gateway["cloud"] == "azure":
        operations = _apim(project)[("azurerm_api_management_api_operation", "this")]["for_each"]
        routes = {(op["method"], op["url"]) for op in operations.values()}
        assert routes == {("POST", "/v1/price-quote"), ("GET", "/readyz")}
    else:
        stack = (project / "infra/cloudformation/api-gateway.yaml").read_text()
        assert "<url>/v1/price-quote with their key in X-API-Key" in stack


@pytest.mark.parametrize("gateway", GRPC_GATEWAYS.values(), ids=GRPC_GATEWAYS.keys())
def test_the_grpc_gateways_route_predict_with_pricings_contract(
    tmp_path: Path, gateway: dict[str, str]
) -> None:
    fields = (b"\n\nunit_price\x18\x08", b"\n\x0eproposed_price\x18\x06")
    line = "optional double unit_price = 8;"  # a quote request carries the product's price
    assert_gateway_carries_the_contract(tmp_path / "p", {**PRICING, **gateway}, fields, line)


def test_monitoring_and_docs_cover_the_use_case(project: Path) -> None:
    dashboard = json.loads(
        (project / "services/monitoring/grafana/dashboards/model-serving.json").read_text()
    )
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    assert "pricing_price_change_ratio_bucket" in expressions and "churn" not in expressions
    assert "pricing_quotes_total" in expressions
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert adr.startswith("# 23. Use case: dynamic pricing")
    assert "APP_PRICING_MAX_CHANGE" in adr and "422" in adr
    assert "training<br/>(train: pricing model" in (project / "docs/architecture.md").read_text()
    assert "APP_PRICING_MAX_CHANGE=0.1" in (project / ".env.example").read_text()
    governance = (project / "docs/data-governance.md").read_text()
    assert "`CustomerRecord.unit_price`" in governance


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_the_experiment_decides_on_margin_per_exposure(tmp_path: Path, api_style: str) -> None:
    """ab_testing: pricing's experiment is its own (pricing-model): a challenger price policy
    against the champion's, decided on margin per exposed customer (Welch's t-test), purchases
    secondary, and every API style serves the assignments as with churn."""
    answers = {**PRICING, "ab_testing": True, "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    if api_style != "grpc":  # gRPC's proto path holds "/v1/prediction.proto"
        assert predict_route_leftovers(project) == []
    definition = (project / "experiments/pricing-model.yaml").read_text()
    metrics = definition.split("\nmetrics:\n", 1)[1]
    assert metrics.startswith("  - name: margin\n    kind: continuous\n")
    assert "Challenger price policy" in definition and "pricing test would add" not in definition
    assert "APP_EXPERIMENT_NAME=pricing-model" in (project / ".env.example").read_text()
    tests = project / "services/experiments/tests"
    analysis = (tests / "test_experiments_analysis.py").read_text()
    for test in (
        "def test_a_planted_effect_is_detected(",
        "def test_a_price_that_loses_margin_is_reported_as_worse(",
        "def test_aa_tests_are_flagged_no_more_often_than_alpha(",
        "def test_a_sample_ratio_mismatch_makes_the_verdict_invalid(",
        "def test_more_purchases_alone_do_not_decide(",
    ):
        assert test in analysis
    assert 'margin.test == "Welch\'s t-test"' in analysis
    serving_tests = {
        "rest": "test_serving_assignments.py",
        "grpc": "test_serving_grpc_assignments.py",
        "graphql": "test_serving_graphql_assignments.py",
    }[api_style]
    assert "pricing-model" in (project / "services/serving/tests" / serving_tests).read_text()
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert "It decides on the\n  **margin per exposed customer**" in adr and "pricing-model" in adr


def test_events_are_sales_at_a_price(tmp_path: Path) -> None:
    """streaming=kafka: an event carries the product's price and cost and the units sold
    (churn's, clv's and segmentation's payloads keep their own labels), the synthetic events
    follow the batch's demand curve, and replay / dead-letter tests are the shared ones."""
    answers = {**PRICING, "streaming": "kafka"}
    project = create_project(tmp_path / "p", answers).destination
    assert_clean_output(project)
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
    events = (project / "packages/contracts/src/contracts/events.py").read_text()
    assert 'EventType = Literal["profile_updated", "support_ticket_opened", "sale"]' in events
    # The payload is the customer's features (pricing's include the product's price and cost).
    assert "class CustomerEventPayload(CustomerFeatures):" in events
    assert "units_sold: Annotated[int, _ATTRIBUTE]" in events
    tests = project / "services/events/tests"
    schema = (tests / "test_events_schema.py").read_text()
    assert "def test_a_sale_event_must_sell_something(" in schema
    assert "def test_a_price_or_cost_that_is_not_positive_is_invalid(" in schema
    synthetic = (tests / "test_events_synthetic.py").read_text()
    assert "def test_sales_follow_the_batch_datas_demand_curve(" in synthetic
    consumer = (tests / "test_events_consumer.py").read_text()
    assert "def test_each_event_lands_once_and_a_replay_leaves_the_lake_byte_identical(" in (
        consumer
    )
    adr = (project / "docs/adr/0021-event-ingestion.md").read_text()
    assert "a `sale` event must\n  carry `units_sold` of at least 1" in adr


@pytest.mark.parametrize("api_style", ["rest", "grpc", "graphql"])
def test_lookups_by_customer_id_quote_the_stored_product(tmp_path: Path, api_style: str) -> None:
    """feature_store=feast: a lookup by id quotes the product of the customer's online row
    through serving.predict's seams (the one implementation serving.online calls), a stored
    product that leaves no price is refused at the id, and each API style's lookup tests
    (happy, unknown, stale, bounds, unauthenticated = zero reads) are rendered."""
    answers = {**PRICING, "feature_store": "feast", "api_style": api_style}
    project = render_clean(tmp_path / "p", answers)
    serving = project / "services/serving/src/serving"
    predict = (serving / "predict.py").read_text()
    assert "def score_columns(" in predict and "Scores: TypeAlias = Quote" in predict
    assert 'return _quote(columns, handle, metrics, lookup="customer_ids")' in predict
    online = (serving / "online.py").read_text()
    assert "from serving.predict import Scores, score_columns, scores_json, scores_response" in (
        online
    )
    store = project / "packages/contracts/src/contracts/feature_store.py"
    assert 'FEATURE_SERVICE = "pricing_model"' in store.read_text()
    tests = (project / "tests/e2e/test_feature_store.py").read_text()
    assert "def test_materialised_features_score_by_id_until_the_customer_is_forgotten(" in tests
    assert "assert by_id.bound.tolist() == by_vector.bound.tolist()" in tests
    assert f"def test_{api_style}_scores_customer_ids_like_their_features(" in tests
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert "The feature service is `pricing_model`" in adr


def test_copier_refuses_nothing_with_pricing() -> None:
    """Every ml_framework, API style, Feast, Kafka and A/B testing work with pricing: no
    validator of copier.yml names it."""
    import yaml

    copier_yml = yaml.safe_load((Path(__file__).parents[2] / "copier.yml").read_text())
    refusing = {
        name
        for name, question in copier_yml.items()
        if isinstance(question, dict) and "pricing" in str(question.get("validator", ""))
    }
    assert refusing == set()
