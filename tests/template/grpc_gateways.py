"""The gRPC gateways (ESPv2 on GKE, API Management's self-hosted gateway on AKS) carry the use
case's own contract: a kit-test check the use cases with their own proto fields share."""

from __future__ import annotations

import re
from pathlib import Path

from aiarch_scaffold.generate import create_project
from tests.template.test_api_gateway_gcp_azure import GRPC_APIM_TF, _grpc_apim, _grpc_config

GRPC_GATEWAYS = {
    "gke-espv2": {"cloud": "gcp", "iac": "terraform", "deploy_target": "kubernetes"},
    "aks-apim-self-hosted": {"cloud": "azure", "iac": "terraform", "deploy_target": "kubernetes"},
}
DESCRIPTOR = "packages/contracts/src/contracts/proto/api_descriptor.pb"


def assert_gateway_carries_the_contract(
    destination: Path,
    answers: dict[str, object],
    descriptor_fields: tuple[bytes, ...],
    proto_line: str,
) -> None:
    """ESPv2 validates calls against the descriptor set, API Management against the .proto:
    both must hold the use case's fields (``descriptor_fields``: FieldDescriptorProto bytes,
    name then number as protoc writes them; ``proto_line``: a line of the .proto), none of
    churn's answer, and both route only PredictionService/Predict."""
    answers = {**answers, "api_style": "grpc", "api_gateway": "cloud"}
    project = create_project(destination, answers).destination
    if answers["cloud"] == "gcp":
        config = _grpc_config(project)
        assert [api["name"] for api in config["apis"]] == ["churn.serving.v1.PredictionService"]
        costs = {r["selector"] for r in config["quota"]["metric_rules"]}
        assert "churn.serving.v1.PredictionService.Predict" in costs
        serialized = (project / DESCRIPTOR).read_bytes()
        for field in descriptor_fields:
            assert field in serialized, field
        assert b"churn_probability" not in serialized
        return
    api = _grpc_apim(project)[("azapi_resource", "api")]
    assert api["body"]["properties"]["apiType"] == "grpc"
    assert (project / GRPC_APIM_TF).is_file()
    env = (project / "infra/terraform/envs/prod/main.tf").read_text()
    proto = re.search(r'proto\s+= file\("\$\{path.module\}/([^"]+)"\)', env)
    assert proto, "the environment does not pass the committed .proto"
    path = (project / "infra/terraform/envs/prod" / proto.group(1)).resolve()
    assert proto_line in path.read_text()
