"""use_case=recommendation: top-k items per customer from an interactions table (issue 11).

Renders only (fast): the output is clean and ruff-clean, the use case's own modules are the ones
rendered (the customer-feature predict path is not), the API is `POST /v1/recommendations?k=`
and the `recommendations` query, A/B testing renders with both (the experiment on purchases of
recommended items, assignments beside recommendations), and copier refuses what recommendation
does not cover yet, with plain copier as with `aiarch new`. Installing and running the
project's own tests (NDCG@10 above popularity, the gate refusing factors fit on shuffled
interactions, ONNX parity, the API contract and its attacks, erasure, the experiment's planted
effects) is the pairwise variants' job (`slow`), which the matrix picks up from copier.yml.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.plain import plain_refusal
from tests.template.rendered import (
    assert_services_never_mention,
    missing_named_tests,
    predict_route_leftovers,
    render_clean,
)

RECOMMENDATION = {"use_case": "recommendation"}


def _render(factory: pytest.TempPathFactory, name: str, **answers: object) -> Path:
    """A clean render of recommendation with ``answers`` over the module's defaults."""
    return render_clean(factory.mktemp("render") / name, {**RECOMMENDATION, **answers})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory, "recommendation")


@pytest.fixture(scope="module")
def keras_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory, "recommendation-keras", ml_framework="tensorflow")


@pytest.fixture(scope="module")
def graphql_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory, "recommendation-graphql", api_style="graphql")


@pytest.fixture(scope="module")
def torch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory, "recommendation-torch", ml_framework="pytorch")


@pytest.fixture(scope="module")
def ab_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory, "recommendation-ab", ab_testing=True)


@pytest.fixture(scope="module")
def ab_graphql_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(
        tmp_path_factory, "recommendation-ab-graphql", ab_testing=True, api_style="graphql"
    )


def test_recommendation_is_a_choice_of_copier_yml_and_churn_stays_the_default() -> None:
    (question,) = (q for q in load_questions() if q.name == "use_case")
    assert "recommendation" in question.values
    assert question.default == "churn"


def test_every_named_test_of_the_project_exists(
    project: Path,
    graphql_project: Path,
    torch_project: Path,
    ab_project: Path,
    ab_graphql_project: Path,
) -> None:
    for root in (project, graphql_project, torch_project, ab_project, ab_graphql_project):
        assert missing_named_tests(root) == [], root.name


def test_the_use_case_modules_are_recommendations_own(project: Path) -> None:
    training = project / "services/training/src/training"
    assert "TruncatedSVD(" in (training / "factorisation.py").read_text()
    assert "factorise(matrix" in (training / "model.py").read_text()
    assert '"TopK"' in (training / "onnx_export.py").read_text()
    assert "def log_recommender(" in (training / "recommender_registry.py").read_text()
    serving = project / "services/serving/src/serving"
    assert "def load_verified(" in (serving / "recommender.py").read_text()
    # The customer-feature predict path is not rendered: serving takes customer ids only.
    for absent in ("predict.py", "output.py", "routes.py", "parsing.py"):
        assert not (serving / absent).exists(), absent
    assert not (project / "services/serving/tests/test_serving_fastpath.py").exists()


def test_no_other_use_cases_model_code_is_left_in_the_services(
    project: Path, graphql_project: Path
) -> None:
    for root in (project, graphql_project):
        assert_services_never_mention(
            root,
            ("churn_probability", "predict_proba", "roc_auc", "predicted_value", "segment_name"),
        )


def test_the_generated_tests_prove_the_baseline_the_gate_parity_and_the_guards(
    project: Path, graphql_project: Path
) -> None:
    tests = project / "services/training/tests"
    units = (tests / "test_training_units.py").read_text()
    assert "def test_ndcg_beats_popularity_on_held_out_interactions(" in units
    assert "def test_the_gate_promotes_the_model_and_refuses_one_fit_on_shuffled_interactions(" in (
        units
    )
    assert "def test_seen_items_are_never_recommended(" in units
    assert "def test_export_matches_the_factors(" in (tests / "test_training_onnx.py").read_text()
    mlflow = (tests / "test_training_mlflow.py").read_text()
    assert "def test_the_gate_refuses_a_degraded_model_and_the_champion_stays(" in mlflow
    api = (project / "services/serving/tests/test_serving_recommendations_api.py").read_text()
    for test in (
        "def test_invalid_requests_are_422_naming_the_field(",
        "def test_recommendations_require_the_api_key(",
        "def test_oversized_body_is_rejected_while_streaming(",
        "def test_rate_limit_per_key_answers_429_with_retry_after(",
    ):
        assert test in api
    graphql_tests = graphql_project / "services/serving/tests"
    assert (graphql_tests / "test_serving_graphql_recommendations.py").exists()


def test_the_api_is_post_v1_recommendations_and_the_recommendations_query(
    project: Path, graphql_project: Path
) -> None:
    assert predict_route_leftovers(project) == []
    assert predict_route_leftovers(graphql_project) == []
    document = json.loads((project / "services/serving/openapi.json").read_text())
    assert set(document["paths"]) >= {"/v1/recommendations"}
    # The customers in the body, k in the query string (?k=), one way only.
    request = document["components"]["schemas"]["RecommendationRequest"]
    assert set(request["properties"]) == {"customer_ids"}
    assert request["additionalProperties"] is False
    (k,) = document["paths"]["/v1/recommendations"]["post"]["parameters"]
    assert (k["name"], k["in"], k["required"]) == ("k", "query", False)
    assert (k["schema"]["minimum"], k["schema"]["maximum"], k["schema"]["default"]) == (1, 50, 10)
    schema = (graphql_project / "services/serving/schema.graphql").read_text()
    assert "recommendations(customerIds: [String!]!, k: Int! = 10)" in schema
    assert "predict(" not in schema
    readme = (project / "README.md").read_text()
    assert 'curl -sS "http://127.0.0.1:8000/v1/recommendations?k=5"' in readme
    assert '"k"' not in readme
    tests = (project / "services/serving/tests/test_serving_recommendations_api.py").read_text()
    assert "def test_a_bad_or_repeated_k_is_422_naming_k(" in tests
    assert '("k=5&k=6", "repeated")' in tests


def test_ab_testing_runs_the_recommender_experiment_beside_recommendations(
    ab_project: Path, ab_graphql_project: Path
) -> None:
    definition = yaml.safe_load((ab_project / "experiments/recommendation-model.yaml").read_text())
    assert definition["name"] == "recommendation-model"
    assert [v["parameters"]["model_alias"] for v in definition["variants"]] == [
        "champion",
        "challenger",
    ]
    # The first metric decides: did the customer buy from their list.
    assert definition["metrics"] == [
        {"name": "purchased", "kind": "conversion"},
        {"name": "revenue", "kind": "continuous"},
    ]
    analysis = (ab_project / "services/experiments/tests/test_experiments_analysis.py").read_text()
    for test in (
        "def test_a_planted_effect_is_detected(",
        "def test_lists_that_sell_less_are_reported_as_worse(",
        "def test_a_revenue_effect_alone_does_not_decide(",
        "def test_aa_tests_are_flagged_no_more_often_than_alpha(",
        "def test_a_sample_ratio_mismatch_makes_the_verdict_invalid(",
    ):
        assert test in analysis
    makefile = (ab_project / "Makefile").read_text()
    assert re.search(r"^SERVICES := .* experiments$", makefile, re.M)
    assert re.search(r"^pipeline: .* experiment ##", makefile, re.M)
    serving = ab_project / "services/serving"
    assert (serving / "src/serving/assignment_routes.py").exists()
    assert (serving / "tests/test_serving_assignments.py").exists()
    document = json.loads((serving / "openapi.json").read_text())
    assert {"/v1/recommendations", "/v1/assignments"} <= set(document["paths"])
    assert document["paths"]["/v1/recommendations"]["post"]["parameters"][0]["name"] == "k"
    graphql = ab_graphql_project / "services/serving"
    schema = (graphql / "schema.graphql").read_text()
    assert "assignments(customerIds: [String!]!): AssignmentResult!" in schema
    assert "at most 100 customers per request (across aliases, shared with recommendations)" in (
        schema
    )
    assert (graphql / "tests/test_serving_graphql_assignments.py").exists()
    adr = (ab_project / "docs/adr/0023-use-case.md").read_text()
    assert "`recommendation-model` experiment" in adr
    assert "A/B testing" not in adr.split("Not yet offered", 1)[1]


def test_monitoring_and_docs_cover_the_use_case(project: Path) -> None:
    dashboard = json.loads(
        (project / "services/monitoring/grafana/dashboards/model-serving.json").read_text()
    )
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    assert "recommendation_customers_total" in expressions and "churn" not in expressions
    prometheus = (project / "services/monitoring/prometheus/prometheus.yml").read_text()
    assert "recommendation-alerts.yml" in prometheus
    assert (project / "services/monitoring/prometheus/recommendation-alerts.test.yml").exists()
    adr = (project / "docs/adr/0023-use-case.md").read_text()
    assert "NDCG@10" in adr and "popularity" in adr


def _dependencies(project: Path, service: str) -> list[str]:
    pyproject = tomllib.loads((project / "services" / service / "pyproject.toml").read_text())
    return [str(item) for item in pyproject["project"]["dependencies"]]


def test_pytorch_factors_the_matrix_behind_the_shared_split_gate_export_and_serving(
    torch_project: Path, project: Path
) -> None:
    training = torch_project / "services/training/src/training"
    factorisation = (training / "factorisation.py").read_text()
    assert "class MatrixFactorisation(nn.Module):" in factorisation
    assert "nn.Embedding(" in factorisation and "torch.optim.Adam(" in factorisation
    assert 'DEFAULT_MODEL_KIND: ModelKind = "torch_mf"' in factorisation
    assert "TruncatedSVD" not in factorisation
    # The PyTorch network of the customer-row use cases and its exporter are not rendered.
    for absent in ("torch_model.py", "torch_export.py", "skl2onnx_compat.py", "embedding.py"):
        assert not (training / absent).exists(), absent
    # Everything after the factors is the scikit-learn variant's, byte for byte.
    for shared in (
        "model.py",
        "gate.py",
        "onnx_export.py",
        "recommender_registry.py",
        "erasure.py",
        "tracking.py",
        "trainer.py",
    ):
        assert (training / shared).read_text() == (
            project / "services/training/src/training" / shared
        ).read_text(), shared
    serving = torch_project / "services/serving"
    assert sorted(p.name for p in serving.rglob("*.py")) == sorted(
        p.name for p in (project / "services/serving").rglob("*.py")
    )
    tests = (torch_project / "services/training/tests/test_training_torch.py").read_text()
    assert "def test_the_onnx_export_scores_as_the_torch_module(" in tests
    assert "def test_the_same_seed_gives_identical_factors_and_another_seed_others(" in tests
    card = (training / "model_card.py").read_text()
    assert 'FRAMEWORK = "PyTorch"' in card


def test_torch_comes_from_the_cpu_index_for_training_only(torch_project: Path) -> None:
    training = _dependencies(torch_project, "training")
    assert "torch==2.13.0" in training and any(d.startswith("onnx>=") for d in training)
    # Nothing of torch is saved: no safetensors, and no scikit-learn serialisers either.
    assert not any(d.startswith(("safetensors", "skops", "skl2onnx")) for d in training)
    for service in ("ingestion", "features", "serving", "monitoring"):
        assert not any(d.startswith("torch") for d in _dependencies(torch_project, service))
    root = tomllib.loads((torch_project / "pyproject.toml").read_text())
    assert root["tool"]["uv"]["sources"]["torch"] == {"index": "pytorch-cpu"}
    assert root["tool"]["uv"]["index"][0]["url"] == "https://download.pytorch.org/whl/cpu"


def test_the_docs_say_how_pytorch_factors_the_matrix_and_that_serving_runs_onnx(
    torch_project: Path,
) -> None:
    adr = (torch_project / "docs/adr/0013-ml-framework.md").read_text()
    assert "nn.Embedding" in adr and "torch_mf" in adr and "ONNX Runtime" in adr
    assert "safetensors weights" not in adr and "TorchMLP" not in adr
    use_case_adr = (torch_project / "docs/adr/0023-use-case.md").read_text()
    assert "PyTorch factors it" in use_case_adr and "TruncatedSVD" not in use_case_adr
    readme = (torch_project / "services/training/README.md").read_text()
    assert "--model torch_mf" in readme and "TruncatedSVD" not in readme
    assert "two hidden layers" not in readme
    architecture = (torch_project / "docs/architecture.md").read_text()
    assert "matrix factorisation of the interactions with PyTorch" in architecture
    assert "safetensors" not in architecture


def dependency_names(project: Path, member: str) -> set[str]:
    document = tomllib.loads((project / member / "pyproject.toml").read_text())
    requirements = [str(item) for item in document["project"]["dependencies"]]
    return {re.split(r"[<>=!~\[ ;]", item, maxsplit=1)[0] for item in requirements}


def test_keras_factors_the_matrix_and_only_training_gets_tensorflow(keras_project: Path) -> None:
    """ml_framework=tensorflow: Keras fits the factors behind the same split, gate, export and
    serving; the Keras network's files of the customer-row use cases are not rendered."""
    training = keras_project / "services/training/src/training"
    factorisation = (training / "factorisation.py").read_text()
    assert "keras.layers.Embedding(" in factorisation and 'ModelKind = Literal["keras_mf"]' in (
        factorisation
    )
    assert "TruncatedSVD" not in factorisation
    assert "from training.factorisation import" in (training / "model.py").read_text()
    assert '"TopK"' in (training / "onnx_export.py").read_text()
    for absent in ("keras_model.py", "keras_export.py", "skl2onnx_compat.py", "torch_model.py"):
        assert not (training / absent).exists(), absent
    assert "keras" not in (training / "tracking.py").read_text()
    tests = keras_project / "services/training/tests/test_training_keras.py"
    for test in (
        "def test_the_onnx_export_scores_as_the_keras_model(",
        "def test_the_same_seed_gives_the_same_factors(",
        "def test_factors_of_another_fit_are_refused_at_export(",
    ):
        assert test in tests.read_text()
    assert missing_named_tests(keras_project) == []

    assert {"tensorflow-cpu", "tensorflow", "onnx"} <= dependency_names(
        keras_project, "services/training"
    )
    assert not dependency_names(keras_project, "services/training") & {"tf2onnx", "skl2onnx"}
    for service in ("ingestion", "features", "serving", "monitoring"):
        heavy = dependency_names(keras_project, f"services/{service}")
        assert not heavy & {"tensorflow", "tensorflow-cpu", "keras", "tf2onnx"}, service
    serving_tests = keras_project / "services/serving/tests/test_serving_recommender.py"
    assert '"tensorflow", "keras", "tf2onnx"' in serving_tests.read_text()

    adr = (keras_project / "docs/adr/0013-ml-framework.md").read_text()
    assert "keras.layers.Embedding" in adr and "ONNX" in adr and "safe_mode" not in adr
    assert "keras_mf" in (keras_project / "docs/adr/0023-use-case.md").read_text()
    readme = (keras_project / "services/training/README.md").read_text()
    assert "--model keras_mf" in readme and "TruncatedSVD" not in readme


# Every pairing copier refuses with recommendation, and the words of its one-line refusal.
REFUSED = {
    "grpc": ({"api_style": "grpc"}, "api_style=grpc is not offered with use_case=recommendation"),
    "spark": ({"processing": "spark"}, "processing=spark is not offered with use_case=recommendat"),
    "kafka": ({"streaming": "kafka"}, "streaming=kafka is not offered with use_case=recommendati"),
    "feast": (
        {"feature_store": "feast"},
        "feature_store=feast is not offered with use_case=recomm",
    ),
}


@pytest.mark.parametrize(("answers", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_aiarch_refuses_what_recommendation_does_not_cover_in_one_line(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        create_project(tmp_path / "p", {**RECOMMENDATION, **answers})
    assert "\n" not in info.value.message
    assert not (tmp_path / "p").exists()


def test_plain_copier_refuses_the_same(tmp_path: Path) -> None:
    answers, message = REFUSED["grpc"]
    output = plain_refusal({**RECOMMENDATION, **answers}, tmp_path / "plain")
    assert message in output
