"""`checkov -d .` in a generated project's root gives make check's clean answer (issue 9, 4).

checkov reads the project's `.checkov.yaml` by itself. Without it, checkov's `kubernetes`
framework reads the kustomize sources as raw manifests and reports dozens of failures that no
built manifest has. The scan must stay a real scan: it still covers every IaC format the
project has, and defects planted in Terraform and in a Kubernetes base are caught from the root.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.matrix import compute, row_id
from tests.tools import require

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("checkov-root")]

KUBERNETES_VARIANT = {
    "cloud": "aws",
    "iac": "terraform",
    "deploy_target": "kubernetes",
    "ci": "github",
}
EACH = compute("each")
# gRPC behind each cloud's gateway is its own code per cloud, IaC tool and target (an ALB with
# a GRPC target group on AWS, HTTP/2 to Cloud Run on GCP, API Management's self-hosted gateway
# in AKS with a Key Vault certificate on Azure); pairwise rows hold only some of them.
GRPC_GATEWAYS = [
    {"cloud": "aws", "iac": "terraform", "deploy_target": "containers"},
    {"cloud": "aws", "iac": "terraform", "deploy_target": "kubernetes"},
    {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"},
    {"cloud": "gcp", "iac": "terraform", "deploy_target": "containers"},
    {"cloud": "azure", "iac": "terraform", "deploy_target": "kubernetes"},
]
SCANNED = EACH + [
    {**row, "api_style": "grpc", "api_gateway": "cloud", "ci": "github"} for row in GRPC_GATEWAYS
]


def _checkov(project: Path) -> dict[str, dict[str, Any]]:
    """Plain `checkov -d .` in the project root, with the version the project pins."""
    require("uv")
    pin = re.search(r'"checkov": "(checkov==[^"]+)"', (project / "tools/check.py").read_text())
    assert pin, "tools/check.py pins checkov"
    result = subprocess.run(
        [
            "uv",
            "tool",
            "run",
            "--quiet",
            "--from",
            pin.group(1),
            "checkov",
            "-d",
            ".",
            "-o",
            "json",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {report["check_type"]: report for report in reports}


def _failed(report: dict[str, Any]) -> list[str]:
    return [
        f"{check['check_id']} {check['file_path']} {check['resource']}"
        for check in report["results"]["failed_checks"]
    ]


def _render(tmp_path: Path, answers: dict[str, object]) -> Path:
    project = create_project(tmp_path / "p", answers).destination
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    return project


@pytest.mark.parametrize("answers", SCANNED, ids=[row_id(r) for r in SCANNED])
def test_root_scan_is_clean(tmp_path: Path, answers: dict[str, object]) -> None:
    if answers.get("deploy_target") == "kubernetes":
        require("kubectl")  # checkov builds the kustomizations with it
    reports = _checkov(_render(tmp_path, answers))
    assert "kubernetes" not in reports, "kustomize sources must not be read as raw manifests"
    assert {name: _failed(report) for name, report in reports.items() if _failed(report)} == {}
    assert reports["dockerfile"]["summary"]["passed"] > 0


def test_root_scan_covers_the_iac_and_catches_planted_defects(tmp_path: Path) -> None:
    require("kubectl")
    project = _render(tmp_path, KUBERNETES_VARIANT)
    clean = _checkov(project)
    for framework in ("dockerfile", "github_actions", "terraform", "kustomize"):
        assert clean[framework]["summary"]["passed"] > 0, f"{framework} was not scanned"
        assert _failed(clean[framework]) == [], framework

    bucket = project / "infra/terraform/modules/s3_bucket/main.tf"
    bucket.write_text(
        bucket.read_text().replace(
            "block_public_acls       = true", "block_public_acls       = false"
        )
    )
    serving = project / "deploy/kubernetes/base/serving/deployment.yaml"
    serving.write_text(serving.read_text().replace("privileged: false", "privileged: true"))
    broken = _checkov(project)
    assert any("modules/s3_bucket/main.tf" in failure for failure in _failed(broken["terraform"]))
    assert any("Deployment" in failure for failure in _failed(broken["kustomize"]))
