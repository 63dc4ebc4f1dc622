"""use_case=pricing: a log-log demand model and a guard-railed price optimiser (issue 11),
with scikit-learn or PyTorch.

Renders only (fast): the output is clean and ruff-clean, the use case's own modules are the ones
rendered, churn's, clv's and segmentation's are not, and copier refuses what pricing does not
cover yet, with plain copier as with `aiarch new`. Installing and running the project's own
tests (demand error below the naive baseline, simulated uplift, the gate refusing a model of
shuffled prices, ONNX parity, the guard-rail attacks, the API contract) is the pairwise
variants' job (`slow`), which the matrix picks up from copier.yml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.plain import plain_refusal
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    assert_serves_its_own_route,
    assert_services_never_mention,
    predict_route_leftovers,
)
from tests.template.test_api_gateway_gcp_azure import _apim, _gateway_answer, _openapi
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
def torch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PyTorch's render (framework_renders once copier offers TensorFlow with pricing too)."""
    answers = {**PRICING, "ml_framework": "pytorch"}
    destination = tmp_path_factory.mktemp("render") / "pricing-pytorch"
    return create_project(destination, answers).destination


def test_pricing_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "pricing" in question.values
    assert question.default == "churn"


def test_output_is_clean_and_has_only_the_chosen_files(
    project: Path, graphql_project: Path
) -> None:
    assert_clean_output(project)
    assert_only_chosen_files(project, PRICING)
    assert_clean_output(graphql_project)


def test_python_is_ruff_clean(project: Path, graphql_project: Path) -> None:
    for root in (project, graphql_project):
        run(["ruff", "check", "--no-cache", "."], cwd=root)
        run(["ruff", "format", "--check", "--no-cache", "."], cwd=root)


def test_the_pytorch_variant_renders_clean_with_only_its_files(torch_project: Path) -> None:
    assert_clean_output(torch_project)
    assert_only_chosen_files(torch_project, {**PRICING, "ml_framework": "pytorch"})
    run(["ruff", "check", "--no-cache", "."], cwd=torch_project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=torch_project)


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


def test_serving_and_the_optimiser_are_the_same_for_every_framework(
    project: Path, torch_project: Path
) -> None:
    """One code path: the PyTorch variant's serving package and price optimiser are the
    scikit-learn variant's, file for file."""
    for part in ("services/serving/src", "packages/contracts/src/contracts/pricing.py"):
        sklearn_files = sorted((project / part).rglob("*.py")) or [project / part]
        for path in sklearn_files:
            twin = torch_project / path.relative_to(project)
            assert twin.read_text() == path.read_text(), path.relative_to(project)


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


REFUSED = [
    (
        {"ml_framework": "tensorflow"},
        "ml_framework=tensorflow is not offered with use_case=pricing",
    ),
    ({"api_style": "grpc"}, "api_style=grpc is not offered with use_case=pricing"),
    ({"ab_testing": True}, "ab_testing is not offered with use_case=pricing"),
    ({"streaming": "kafka"}, "streaming=kafka is not offered with use_case=pricing"),
    ({"feature_store": "feast"}, "feature_store=feast is not offered with use_case=pricing"),
]


@pytest.mark.parametrize(("answers", "message"), REFUSED, ids=lambda v: str(v)[:30])
def test_aiarch_refuses_what_pricing_does_not_cover_in_one_line(
    tmp_path: Path, answers: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        create_project(tmp_path / "p", {**PRICING, **answers})
    assert "\n" not in info.value.message
    assert not (tmp_path / "p").exists()


def test_plain_copier_refuses_pricing_with_grpc(tmp_path: Path) -> None:
    output = plain_refusal({"use_case": "pricing", "api_style": "grpc"}, tmp_path / "plain")
    assert "api_style=grpc is not offered with use_case=pricing" in output
