"""api_style=grpc: the committed stubs match the .proto, and `make check` catches drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiarch_scaffold.generate import create_project
from tests.tools import require, run

PROTO = "packages/contracts/src/contracts/proto/churn/serving/v1/prediction.proto"
STUB = "packages/contracts/src/contracts/proto/churn/serving/v1/prediction_pb2.py"
DESCRIPTOR_SET = "packages/contracts/src/contracts/proto/api_descriptor.pb"


def check_drift(project: Path) -> int:
    """Exit code of `make check`'s proto-drift check (the pinned grpcio-tools, via uv)."""
    import subprocess

    result = subprocess.run(
        [
            "uv",
            "run",
            "--no-project",
            "--quiet",
            "python",
            "tools/check.py",
            "--only",
            "proto-drift",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("uv")
    require("make")
    return create_project(tmp_path_factory.mktemp("grpc") / "p", {"api_style": "grpc"}).destination


def test_committed_stubs_match_the_proto(project: Path) -> None:
    assert check_drift(project) == 0


@pytest.mark.parametrize(
    ("answers", "rpcs"),
    [
        ({"ab_testing": True}, ["rpc Assign("]),
        ({"feature_store": "feast"}, ["rpc PredictByCustomerIds("]),
        (
            {"ab_testing": True, "feature_store": "feast"},
            ["rpc Assign(", "rpc PredictByCustomerIds("],
        ),
        ({"use_case": "clv"}, ["double predicted_value = 2;"]),
        ({"use_case": "clv", "feature_store": "feast"}, ["rpc PredictByCustomerIds("]),
        ({"use_case": "clv", "ab_testing": True}, ["rpc Assign("]),
        (
            {"use_case": "clv", "ab_testing": True, "feature_store": "feast"},
            ["rpc Assign(", "rpc PredictByCustomerIds("],
        ),
        ({"use_case": "segmentation"}, ["int64 segment = 4;", "string segment_name = 5;"]),
        ({"use_case": "segmentation", "feature_store": "feast"}, ["rpc PredictByCustomerIds("]),
        ({"use_case": "segmentation", "ab_testing": True}, ["rpc Assign("]),
        (
            {"use_case": "segmentation", "ab_testing": True, "feature_store": "feast"},
            ["rpc Assign(", "rpc PredictByCustomerIds("],
        ),
        ({"use_case": "pricing"}, ["optional double unit_price = 8;", "string bound = 10;"]),
        ({"use_case": "pricing", "ab_testing": True}, ["rpc Assign("]),
        ({"use_case": "pricing", "feature_store": "feast"}, ["rpc PredictByCustomerIds("]),
        (
            {"use_case": "pricing", "ab_testing": True, "feature_store": "feast"},
            ["rpc Assign(", "rpc PredictByCustomerIds("],
        ),
    ],
    ids=[
        "assign",
        "lookup",
        "assign-and-lookup",
        "clv",
        "clv-lookup",
        "clv-assign",
        "clv-assign-and-lookup",
        "segmentation",
        "segmentation-lookup",
        "segmentation-assign",
        "segmentation-assign-and-lookup",
        "pricing",
        "pricing-assign",
        "pricing-lookup",
        "pricing-assign-and-lookup",
    ],
)
def test_committed_stubs_with_more_rpcs_match_the_proto(
    tmp_path: Path, answers: dict[str, object], rpcs: list[str]
) -> None:
    """ab_testing adds the Assign rpc, feature_store=feast PredictByCustomerIds, use_case=clv,
    segmentation and pricing their own Prediction (pricing also its product's request fields):
    each variant has its own committed stubs and descriptor set."""
    project = create_project(tmp_path / "p", {"api_style": "grpc", **answers}).destination
    proto = (project / PROTO).read_text()
    assert all(rpc in proto for rpc in rpcs)
    assert check_drift(project) == 0


def test_a_proto_change_without_new_stubs_fails_the_check(project: Path) -> None:
    proto = project / PROTO
    original = proto.read_text(encoding="utf-8")
    stub = (project / STUB).read_text(encoding="utf-8")
    descriptor = (project / DESCRIPTOR_SET).read_bytes()
    proto.write_text(
        original.replace("  bool churn = 3;\n", "  bool churn = 3;\n  string segment = 4;\n"),
        encoding="utf-8",
    )
    assert check_drift(project) == 1

    run(["make", "proto"], cwd=project)  # what the failure tells the developer to do
    assert (project / STUB).read_text(encoding="utf-8") != stub
    assert (project / DESCRIPTOR_SET).read_bytes() != descriptor
    assert check_drift(project) == 0


def test_hand_edited_stubs_fail_the_check(tmp_path: Path) -> None:
    require("uv")
    project = create_project(tmp_path / "p", {"api_style": "grpc"}).destination
    stub = project / STUB
    stub.write_text(stub.read_text(encoding="utf-8") + "# tweak\n", encoding="utf-8")
    assert check_drift(project) == 1


def test_a_stale_descriptor_set_fails_the_check(tmp_path: Path) -> None:
    """Cloud Endpoints (GKE) receives api_descriptor.pb: it must describe the committed protos."""
    require("uv")
    project = create_project(tmp_path / "p", {"api_style": "grpc"}).destination
    descriptor = project / DESCRIPTOR_SET
    assert descriptor.stat().st_size > 0
    # An older descriptor set: the proto without its last field.
    proto = project / PROTO
    original = proto.read_text(encoding="utf-8")
    proto.write_text(original.replace("  bool churn = 3;\n", ""), encoding="utf-8")
    run(["make", "proto"], cwd=project)
    stale = descriptor.read_bytes()
    proto.write_text(original, encoding="utf-8")
    run(["make", "proto"], cwd=project)
    assert check_drift(project) == 0
    descriptor.write_bytes(stale)
    assert check_drift(project) == 1
