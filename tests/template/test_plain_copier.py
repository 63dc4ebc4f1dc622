"""Plain `copier copy --trust` and `aiarch new` produce the same project from the same answers,
and copier itself refuses what `aiarch new` refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.template_source import TemplateSource
from tests.conftest import REPO_ROOT
from tests.template.plain import plain_copier, plain_refusal, plain_render
from tests.tools import run

ANSWERS = {"project_name": "Same Either Way", "organisation": "agency-x"}


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.xdist_group("plain-copier")
def test_plain_copier_and_aiarch_new_render_identical_projects(tmp_path: Path) -> None:
    # A clean clone: copier commits a dirty checkout anew on every run, changing `_commit`.
    kit = tmp_path / "kit"
    run(["git", "clone", "-q", str(REPO_ROOT), str(kit)], cwd=tmp_path)
    ours = create_project(tmp_path / "ours", ANSWERS, source=TemplateSource(kit, vcs_ref="HEAD"))
    result = plain_copier(ANSWERS, tmp_path / "plain", kit=kit)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _tree(ours.destination) == _tree(tmp_path / "plain")


def test_plain_copier_rejects_what_aiarch_rejects(tmp_path: Path) -> None:
    output = plain_refusal({"project_slug": "Not-A-Slug"}, tmp_path / "plain")
    assert "project_slug must be a lowercase Python identifier" in output


def test_copier_itself_rejects_cloudformation_outside_aws(tmp_path: Path) -> None:
    output = plain_refusal({"cloud": "gcp", "iac": "cloudformation"}, tmp_path / "plain")
    assert "iac=cloudformation needs cloud=aws" in output


def test_aiarch_names_the_cloudformation_rule_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"iac=cloudformation needs cloud=aws") as info:
        create_project(tmp_path / "p", {"cloud": "azure", "iac": "cloudformation"})
    assert "\n" not in info.value.message
    assert not (tmp_path / "p").exists()


def test_a_grpc_gateway_is_refused_where_none_is_built(tmp_path: Path) -> None:
    """Container Apps has no gateway that checks subscriptions on gRPC calls."""
    chosen = {
        "cloud": "azure",
        "deploy_target": "containers",
        "api_style": "grpc",
        "api_gateway": "cloud",
    }
    expected = r"api_gateway=cloud with api_style=grpc on Azure needs deploy_target=kubernetes"
    with pytest.raises(UsageError, match=expected) as info:
        create_project(tmp_path / "p", chosen)
    assert "\n" not in info.value.message
    assert not (tmp_path / "p").exists()


def test_a_grpc_gateway_is_offered_on_aws_cloud_run_gke_and_aks(tmp_path: Path) -> None:
    offered = (
        {"cloud": "aws"},
        {"cloud": "gcp", "deploy_target": "containers"},
        {"cloud": "gcp", "deploy_target": "kubernetes"},
        {"cloud": "azure", "deploy_target": "kubernetes"},
    )
    for number, answers in enumerate(offered):
        chosen = {**answers, "api_style": "grpc", "api_gateway": "cloud"}
        project = create_project(tmp_path / str(number), chosen).destination
        assert (project / ".copier-answers.yml").read_text().count("api_gateway: cloud") == 1


@pytest.mark.parametrize(
    "answers", [{"cloud": "aws"}, {"cloud": "gcp", "deploy_target": "containers"}]
)
def test_a_jwt_gateway_is_refused_for_grpc(tmp_path: Path, answers: dict[str, str]) -> None:
    """gRPC's gateway on AWS and Cloud Run is a load balancer: it cannot check the tokens."""
    chosen = {**answers, "api_style": "grpc", "api_gateway": "cloud", "gateway_auth": "jwt"}
    with pytest.raises(UsageError, match=r"gateway_auth=jwt is not offered with api_style=grpc"):
        create_project(tmp_path / "p", chosen)
    assert not (tmp_path / "p").exists()
    # The same answers with REST are a valid project.
    rest = create_project(tmp_path / "rest", {**chosen, "api_style": "rest"}).destination
    assert "gateway_auth: jwt" in (rest / ".copier-answers.yml").read_text()


def test_a_jwt_gateway_is_offered_for_grpc_on_gke(tmp_path: Path) -> None:
    """On GKE ESPv2 is the gateway, and it checks the bearer tokens of gRPC calls too."""
    chosen = {
        "cloud": "gcp",
        "deploy_target": "kubernetes",
        "api_style": "grpc",
        "api_gateway": "cloud",
        "gateway_auth": "jwt",
    }
    project = create_project(tmp_path / "p", chosen).destination
    assert "gateway_auth: jwt" in (project / ".copier-answers.yml").read_text()


@pytest.mark.parametrize(
    ("api_style", "lookup", "path"),
    [
        (
            "grpc",
            "rpc PredictByCustomerIds(",
            "packages/contracts/src/contracts/proto/churn/serving/v1/prediction.proto",
        ),
        ("graphql", "predictByCustomerIds(customerIds:", "services/serving/schema.graphql"),
    ],
)
def test_plain_copier_offers_feast_with_every_api_style(
    tmp_path: Path, api_style: str, lookup: str, path: str
) -> None:
    """No refusal left: copier itself renders feature_store=feast with gRPC and GraphQL, and the
    API gets its lookup by customer id."""
    project = plain_render({"feature_store": "feast", "api_style": api_style}, tmp_path / "plain")
    assert lookup in (project / path).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("ml_framework", "model", "estimator"),
    [
        ("pytorch", "torch_model.py", "class MLPRegressor(TorchMLP):"),
        ("tensorflow", "keras_model.py", "class KerasValueRegressor(KerasNetwork):"),
    ],
)
def test_plain_copier_offers_clv_with_every_ml_framework(
    tmp_path: Path, ml_framework: str, model: str, estimator: str
) -> None:
    """No refusal left: copier itself renders use_case=clv with PyTorch and Keras, and the
    network is a regressor."""
    project = plain_render({"use_case": "clv", "ml_framework": ml_framework}, tmp_path / "plain")
    source = project / "services/training/src/training" / model
    assert estimator in source.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("ml_framework", "model", "segmenter"),
    [
        ("pytorch", "torch_model.py", "class TorchSegmenter(EmbeddingSegmenter):"),
        ("tensorflow", "keras_model.py", "class KerasSegmenter(EmbeddingSegmenter):"),
    ],
)
def test_plain_copier_offers_segmentation_with_every_ml_framework(
    tmp_path: Path, ml_framework: str, model: str, segmenter: str
) -> None:
    """No framework refusal left: copier itself renders use_case=segmentation with PyTorch and
    Keras, and the network is the autoencoder k-means segments the embedding of."""
    answers = {"use_case": "segmentation", "ml_framework": ml_framework}
    project = plain_render(answers, tmp_path / "plain")
    source = project / "services/training/src/training" / model
    assert segmenter in source.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("ml_framework", "model", "regressor"),
    [
        ("pytorch", "torch_model.py", "class DemandRegressor(TorchMLP):"),
        ("tensorflow", "keras_model.py", "class KerasDemandRegressor(KerasNetwork):"),
    ],
)
def test_plain_copier_offers_pricing_with_every_ml_framework(
    tmp_path: Path, ml_framework: str, model: str, regressor: str
) -> None:
    """No refusal left: copier itself renders use_case=pricing with PyTorch and Keras, and the
    network is a demand regressor with a structural price term."""
    answers = {"use_case": "pricing", "ml_framework": ml_framework}
    project = plain_render(answers, tmp_path / "plain")
    source = project / "services/training/src/training" / model
    assert regressor in source.read_text(encoding="utf-8")


def test_plain_copier_offers_recommendation_with_pytorch(tmp_path: Path) -> None:
    """copier itself renders use_case=recommendation with PyTorch: the factorisation is an
    nn.Module, and no network module of the customer-row use cases comes with it."""
    answers = {"use_case": "recommendation", "ml_framework": "pytorch"}
    project = plain_render(answers, tmp_path / "plain")
    training = project / "services/training/src/training"
    source = (training / "factorisation.py").read_text(encoding="utf-8")
    assert "class MatrixFactorisation(nn.Module):" in source
    assert not (training / "torch_model.py").exists()


def test_plain_copier_offers_ab_testing_with_recommendation(tmp_path: Path) -> None:
    """No refusal left: copier itself renders use_case=recommendation with ab_testing, and the
    experiment is the recommender's, decided on purchases from the lists."""
    answers = {"use_case": "recommendation", "ab_testing": "true"}
    project = plain_render(answers, tmp_path / "plain")
    definition = (project / "experiments/recommendation-model.yaml").read_text(encoding="utf-8")
    assert "metrics:\n  - name: purchased\n    kind: conversion" in definition
    assert (project / "services/serving/src/serving/assignment_routes.py").is_file()


@pytest.mark.parametrize(
    ("ml_framework", "model_kind"),
    [("tensorflow", 'ModelKind = Literal["keras_mf"]')],
)
def test_plain_copier_offers_recommendation_with_every_finished_ml_framework(
    tmp_path: Path, ml_framework: str, model_kind: str
) -> None:
    """No refusal left for these frameworks: copier itself renders use_case=recommendation, and
    the framework factors the interactions matrix behind the shared recommender."""
    answers = {"use_case": "recommendation", "ml_framework": ml_framework}
    project = plain_render(answers, tmp_path / "plain")
    source = project / "services/training/src/training/factorisation.py"
    assert model_kind in source.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "more",
    [{}, {"deploy_target": "kubernetes", "orchestration": "kubeflow"}],
    ids=["containers", "kubeflow"],
)
def test_plain_copier_renders_spark_on_aws_with_cloudformation(
    tmp_path: Path, more: dict[str, str]
) -> None:
    answers = {"cloud": "aws", "iac": "cloudformation", "processing": "spark", **more}
    project = plain_render(answers, tmp_path / "plain")
    assert (project / "infra/cloudformation/spark.yaml").is_file()
    iam = (project / "infra/cloudformation/iam.yaml").read_text()
    assert ("SparkPipelineRole:" in iam) == bool(more)
    assert not (project / "infra/terraform").exists()
    assert (project / "scripts/deploy/glue_job.py").is_file()


def test_plain_copier_renders_spark_on_aws_as_a_glue_job(tmp_path: Path) -> None:
    project = plain_render({"cloud": "aws", "processing": "spark"}, tmp_path / "plain")
    assert (project / "infra/terraform/modules/glue_spark/main.tf").is_file()
    assert (project / "scripts/deploy/glue_job.py").is_file()


def test_plain_copier_renders_kubeflow_with_grpc_as_two_uv_projects(tmp_path: Path) -> None:
    """kfp's protobuf cap stays in orchestration/'s own project; the gRPC stubs in the workspace."""
    answers = {"cloud": "gcp", "deploy_target": "kubernetes", "orchestration": "kubeflow"}
    project = plain_render({**answers, "api_style": "grpc"}, tmp_path / "plain")
    assert 'exclude = ["orchestration"]' in (project / "pyproject.toml").read_text()
    assert "kfp==" in (project / "orchestration/pyproject.toml").read_text()
    assert list((project / "packages/contracts/src/contracts/proto").rglob("*_pb2_grpc.py"))
