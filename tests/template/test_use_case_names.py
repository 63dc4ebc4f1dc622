"""A project of another use case names its own model everywhere a person or a tool reads a name:
the API catalog entry, the cloud gateways' operation descriptions, the Grafana folder, the
service packages' descriptions, the alert tests' model label, the gateway outputs' route. Churn
was the first use case, so any leftover would say "churn" in a clv or segmentation project.

Renders only (fast). Tests and fixtures of the services may still use churn names as arbitrary
sample strings, and the decision records compare use cases; everything else a user deploys,
browses or reads may not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.template.rendered import text_files

# A neutral project name, so only the template's own words can say "churn".
NAMED = {"project_name": "Shop Platform", "description": "Serve the shop's customer models"}
VARIANTS = {
    "clv-azure-apim": {"use_case": "clv", "cloud": "azure", "api_gateway": "cloud"},
    "clv-aws-graphql": {
        "use_case": "clv",
        "cloud": "aws",
        "api_gateway": "cloud",
        "api_style": "graphql",
    },
    "segmentation-gcp-endpoints": {
        "use_case": "segmentation",
        "cloud": "gcp",
        "deploy_target": "kubernetes",
        "api_gateway": "cloud",
    },
    "segmentation-gcp-api-gateway": {
        "use_case": "segmentation",
        "cloud": "gcp",
        "deploy_target": "containers",
        "api_gateway": "cloud",
    },
}


def _may_name_churn(path: Path) -> bool:
    """Test code (sample strings) and the decision records, which compare use cases by name."""
    return "tests" in path.parts or path.parts[:2] == ("docs", "adr")


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {**NAMED, **VARIANTS[request.param]}
    return create_project(tmp_path_factory.mktemp("names") / request.param, answers).destination


def test_nothing_a_user_deploys_or_reads_names_churn(project: Path) -> None:
    leftovers = [
        f"{path.relative_to(project)}:{number}"
        for path in text_files(project)
        if not _may_name_churn(path.relative_to(project))
        # The ONNX metadata key of a classifier's positive column: a stable wire name that
        # only churn's exporter writes and reads.
        and path.name != "artifacts.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "churn" in line.lower()
    ]
    assert leftovers == []


def test_gateway_outputs_name_the_route_clients_call(project: Path) -> None:
    answers = VARIANTS[project.name]
    route = {"graphql": "/v1/graphql"}.get(
        answers.get("api_style", "rest"),
        "/v1/segments" if answers["use_case"] == "segmentation" else "/v1/predict",
    )
    described = [
        line
        for path in project.glob("infra/terraform/envs/dev/outputs.tf")
        for line in path.read_text().splitlines()
        if "with their key in X-API-Key" in line
    ]
    assert len(described) == (1 if answers["cloud"] == "aws" else 0)
    assert all(f"{route} with their key" in line for line in described)
