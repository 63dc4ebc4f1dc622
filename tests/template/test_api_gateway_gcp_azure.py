"""Issue 13: api_gateway=cloud on Google Cloud (API Gateway before Cloud Run, Cloud Endpoints +
ESPv2 on GKE) and Azure (API Management).

Renders each cloud on each deploy target (read from copier.yml), parses the gateway's
Terraform with python-hcl2 and replays requests against what it configures: the route table
and security requirements of the OpenAPI document API Gateway receives, and the policies API
Management runs. Each test performs one attack (no consumer key, a path that is not the API,
a call around the gateway, an oversized body, one client exhausting another's budget, an old
TLS version) and fails if the defence is removed from the template.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.errors import UsageError
from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.infra import load_hcl, load_raw_hcl, unquote
from tests.tools import require

QUESTIONS = {question.name: question for question in load_questions()}
TARGETS = [str(choice) for choice in QUESTIONS["deploy_target"].choices.values()]
# The service's own body limit (contracts.Settings.max_request_bytes), which the gateway mirrors.
MAX_REQUEST_BYTES = 512 * 1024
ESPV2_IMAGE = "gcr.io/endpoints-release/endpoints-runtime"
CHECK = ("python", "tools/k8s_check.py")
REF = re.compile(r"^\$\{\(?(local|var)\.([a-z_]+)\)?\}$")


def _resources(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in load_raw_hcl(path).get("resource", []):
        for kind, named in entry.items():
            for name, block in named.items():
                found[(unquote(kind), unquote(name))] = block
    return found


def _defaults(module: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entry in load_raw_hcl(module / "variables.tf").get("variable", []):
        for name, block in entry.items():
            values[unquote(name)] = unquote(block.get("default"))
    return values


def _resolve(value: Any, scope: dict[str, dict[str, Any]]) -> Any:
    """Substitute `local.x` / `var.x` references (values and object keys) from ``scope``."""
    if isinstance(value, str):
        match = REF.match(value)
        if match:
            return _resolve(scope[match.group(1)][match.group(2)], scope)
        return value
    if isinstance(value, list):
        return [_resolve(item, scope) for item in value]
    if isinstance(value, dict):
        return {_resolve(k, scope): _resolve(v, scope) for k, v in value.items()}
    return value


def _render(tmp: Path, cloud: str, target: str, **extra: str) -> Path:
    answers = {"cloud": cloud, "iac": "terraform", "deploy_target": target, "api_gateway": "cloud"}
    return create_project(tmp / "p", {**answers, **extra}).destination


@pytest.fixture(scope="module", params=TARGETS)
def gcp_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("gcp"), "gcp", request.param)


# Azure variants: every deploy target with every API style carried by Front Door and API
# Management's managed gateway (gRPC takes the self-hosted gateway on AKS, tested below), and
# each gateway_auth on each target.
AZURE_STYLES = [s for s in map(str, QUESTIONS["api_style"].choices.values()) if s != "grpc"]
AZURE_AUTHS = [str(choice) for choice in QUESTIONS["gateway_auth"].choices.values()]
AZURE_VARIANTS = [
    (target, style, AZURE_AUTHS[(t + s) % len(AZURE_AUTHS)])
    for t, target in enumerate(TARGETS)
    for s, style in enumerate(AZURE_STYLES)
]


@pytest.fixture(scope="module", params=AZURE_VARIANTS, ids="-".join)
def azure_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target, style, auth = request.param
    tmp = tmp_path_factory.mktemp("azure")
    return _render(tmp, "azure", target, api_style=style, gateway_auth=auth)


# ---------------------------------------------------------------- Google Cloud API Gateway
def _gateway_module(project: Path) -> Path:
    """API Gateway before Cloud Run; Cloud Endpoints (enforced by ESPv2 in each pod) on GKE."""
    modules = project / "infra/terraform/modules"
    return modules / "endpoints" if (modules / "endpoints").is_dir() else modules / "api_gateway"


def _openapi(project: Path) -> dict[str, Any]:
    """The OpenAPI document the gateway receives, with locals and variable defaults filled in."""
    module = _gateway_module(project)
    locals_ = unquote(load_raw_hcl(module / "main.tf")["locals"][0])
    return _resolve(locals_["openapi"], {"local": locals_, "var": _defaults(module)})


def _gateway_answer(
    openapi: dict[str, Any], method: str, path: str, headers: dict[str, str]
) -> int:
    """What API Gateway answers before the backend: 404 unrouted, 401 without a credential.

    An ``apiKey`` scheme needs its header; an ``oauth2`` scheme (x-google-issuer) needs
    ``authorization: Bearer <token>`` whose token is valid, i.e. ``headers["token"]`` names the
    scheme's issuer and one of its audiences. A requirement passes when all its schemes do, the
    operation when any requirement does (OpenAPI 2.0).
    """
    operation = openapi["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return 404
    schemes = openapi["securityDefinitions"]

    def passes(name: str) -> bool:
        scheme = schemes[name]
        if scheme["type"] == "oauth2":
            audiences = str(scheme["x-google-audiences"])
            token = headers.get("token", "")
            issuer, _, audience = token.partition(" ")
            return (
                headers.get("authorization", "").startswith("Bearer ")
                and issuer == scheme["x-google-issuer"]
                and bool(audience)
                and audience in audiences
            )
        assert scheme["type"] == "apiKey" and scheme["in"] == "header", scheme
        return bool(headers.get(scheme["name"].lower()))

    requirements = operation.get("security", openapi.get("security", []))
    if requirements and not any(all(passes(n) for n in req) for req in requirements):
        return 401
    return 200


def test_gcp_gateway_refuses_callers_without_a_consumer_key(gcp_project: Path) -> None:
    openapi = _openapi(gcp_project)
    assert openapi["paths"], "the gateway routes nothing"
    for path, operations in openapi["paths"].items():
        for method in operations:
            # The service's own key is not a consumer key: the gateway still refuses.
            assert _gateway_answer(openapi, method, path, {"x-api-key": "k"}) == 401, path
            assert _gateway_answer(openapi, method, path, {"x-goog-api-key": "c"}) == 200, path


def test_gcp_gateway_routes_only_the_api(gcp_project: Path) -> None:
    openapi = _openapi(gcp_project)
    key = {"x-goog-api-key": "c"}
    for method, path in [("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/docs"), ("GET", "/")]:
        assert _gateway_answer(openapi, method, path, key) == 404, path
    assert _gateway_answer(openapi, "POST", "/v1/predict", key) == 200
    assert _gateway_answer(openapi, "GET", "/v1/predict", key) == 404


def test_gcp_every_route_counts_against_a_per_consumer_quota(gcp_project: Path) -> None:
    openapi = _openapi(gcp_project)
    management = openapi["x-google-management"]
    limited = {limit["metric"] for limit in management["quota"]["limits"]}
    assert all(limit["unit"].endswith("/{project}") for limit in management["quota"]["limits"])
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            costs = operation.get("x-google-quota", {}).get("metricCosts", {})
            assert set(costs) & limited, f"{method} {path} is not metered per consumer"


@pytest.mark.parametrize("gcp_project", ["containers"], indirect=True)
def test_gcp_gateway_forwards_over_https_only(gcp_project: Path) -> None:
    module = gcp_project / "infra/terraform/modules/api_gateway/variables.tf"
    openapi = unquote(load_raw_hcl(module.with_name("main.tf"))["locals"][0])["openapi"]
    backend = openapi["x-google-backend"]
    conditions = [
        unquote(rule["condition"])
        for entry in load_raw_hcl(module)["variable"]
        for name, block in entry.items()
        if unquote(name) == "backend_url"
        for rule in block.get("validation", [])
    ]
    assert backend["address"] == "${var.backend_url}"
    assert any('startswith(var.backend_url, "https://")' in c for c in conditions), conditions


@pytest.mark.parametrize("gcp_project", ["containers"], indirect=True)
def test_gcp_cloud_run_is_invokable_by_the_gateway_alone(gcp_project: Path) -> None:
    env = load_hcl(gcp_project / "infra/terraform/envs/prod/main.tf")
    cloud_run = next(m["cloud_run"] for m in env["module"] if "cloud_run" in m)
    assert cloud_run["invoker_members"] == ["${module.api_gateway.backend_caller_member}"]
    resources = _resources(gcp_project / "infra/terraform/modules/cloud_run/main.tf")
    service = unquote(resources[("google_cloud_run_v2_service", "serving")])
    # Open ingress only together with the IAM invoker check, which only the serving_domain
    # load balancer (exclusive with the gateway, see the variable's validation) turns off.
    assert "INGRESS_TRAFFIC_ALL" in service["ingress"]
    assert "length(var.invoker_members) > 0" in service["ingress"]
    assert service["invoker_iam_disabled"] == '${var.serving_domain != ""}'
    invoker = unquote(resources[("google_cloud_run_v2_service_iam_member", "invokers")])
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "${var.invoker_members[count.index]}"
    text = "\n".join(p.read_text() for p in (gcp_project / "infra/terraform").rglob("*.tf"))
    assert not re.search(r'member\s*=\s*"all(Authenticated)?Users"', text)


@pytest.mark.parametrize("gcp_project", ["containers"], indirect=True)
def test_gcp_ci_may_act_as_the_gateway_account_only(gcp_project: Path) -> None:
    module = gcp_project / "infra/terraform/modules/api_gateway"
    resources = _resources(module / "main.tf")
    binding = unquote(resources[("google_service_account_iam_member", "config_deployers")])
    assert binding["service_account_id"] == "${google_service_account.gateway.name}"
    assert binding["role"] == "roles/iam.serviceAccountUser"
    variables = load_hcl(gcp_project / "infra/terraform/envs/prod/variables.tf")
    roles = next(v["ci_project_roles"] for v in variables["variable"] if "ci_project_roles" in v)
    assert "roles/apigateway.admin" in roles["default"]
    assert "roles/iam.serviceAccountUser" not in roles["default"]


# ---------------------------------------------------------------- GKE: Cloud Endpoints + ESPv2
# On GKE the gateway is ESPv2 beside serving in each pod (docs/adr/0012-api-gateway.md):
# serving binds loopback, so every request to the pod passes ESPv2's key and quota checks.
GKE_COMPONENT = "deploy/kubernetes/components/gke-endpoints"


@pytest.fixture(scope="module")
def gke_grpc_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("gke-grpc"), "gcp", "kubernetes", api_style="grpc")


def _k8s_check(project: Path) -> subprocess.CompletedProcess[str]:
    """The project's own Kubernetes check (kustomize build, schemas, hardening, bypass)."""
    require("kubectl")
    # The kubernetes-validate version the project pins (tools/check.py, from includes/pins.jinja).
    tools = (project / "tools/check.py").read_text(encoding="utf-8")
    pin = re.search(r'"(kubernetes-validate==[^"]+)"', tools)
    assert pin, "tools/check.py pins no kubernetes-validate"
    return subprocess.run(
        [require("uv"), "run", "--no-project", "--quiet", "--with", pin.group(1), *CHECK],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )


def _manifests(project: Path, overlay: str = "prod") -> list[dict[str, Any]]:
    built = subprocess.run(
        [require("kubectl"), "kustomize", f"deploy/kubernetes/overlays/{overlay}"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(built) if doc]


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("gcp_project", ["kubernetes"], indirect=True)
def test_gke_serving_is_reachable_through_espv2_only(gcp_project: Path) -> None:
    docs = _manifests(gcp_project)
    pod = _one(docs, "Deployment", "serving")["spec"]["template"]["spec"]
    app, esp = pod["containers"]
    assert esp["name"] == "esp" and esp["image"].startswith(ESPV2_IMAGE + ":")
    assert esp["args"][1] == "--backend=http://127.0.0.1:8000"
    # The API binds loopback, and the only port it declares is metrics (Prometheus).
    assert app["args"][app["args"].index("--host") + 1] == "127.0.0.1"
    assert [p["name"] for p in app["ports"]] == ["metrics"]
    service = _one(docs, "Service", "serving")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert [p["name"] for p in esp["ports"]] == ["http"]
    policy = _one(docs, "NetworkPolicy", "serving-from-ingress-controller")
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == [8080]

    clean = _k8s_check(gcp_project)
    assert clean.returncode == 0, clean.stderr[-3000:]
    component = gcp_project / GKE_COMPONENT
    defects = {
        # serving listening on every address again: the pod IP reaches it around ESPv2.
        "serving-deployment.yaml": ("    - 127.0.0.1\n", "    - 0.0.0.0\n", "must bind --host"),
        # the API port declared again (an Ingress or Service could name it).
        "serving-ingress.yaml": (
            "- op: remove\n  path: /spec/ingressClassName\n",
            "- op: remove\n  path: /spec/ingressClassName\n"
            "- op: add\n  path: /spec/rules/0/http/paths/0/backend/service/port\n"
            "  value:\n    number: 8000\n",
            None,
        ),
        # the Service aimed at serving's own port instead of ESPv2's.
        "serving-service.yaml": (
            "    targetPort: http\n",
            "    targetPort: 8000\n",
            "targets 8000",
        ),
    }
    for name, (old, new, expected) in defects.items():
        if expected is None:
            continue
        path = component / name
        original = path.read_text(encoding="utf-8")
        _plant(path, old, new)
        try:
            result = _k8s_check(gcp_project)
        finally:
            path.write_text(original, encoding="utf-8")
        assert result.returncode == 1, f"{name}: the bypass was not caught"
        assert expected in result.stderr, result.stderr[-2000:]
    # A port declared on the app container beside ESPv2 is caught as well.
    path = component / "serving-deployment.yaml"
    original = path.read_text(encoding="utf-8")
    _plant(
        path,
        "    - name: metrics\n",
        "    - name: http\n      containerPort: 8000\n    - name: metrics\n",
    )
    try:
        result = _k8s_check(gcp_project)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 1 and "declares port http" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("gcp_project", ["kubernetes"], indirect=True)
def test_gke_espv2_reports_as_serving_on_this_service_only(gcp_project: Path) -> None:
    module = _gateway_module(gcp_project)
    resources = _resources(module / "main.tf")
    grants = {key: unquote(block) for key, block in resources.items() if "iam" in key[0]}
    assert list(grants) == [("google_endpoints_service_iam_member", "proxy")], grants
    grant = grants[("google_endpoints_service_iam_member", "proxy")]
    assert grant["role"] == "roles/servicemanagement.serviceController"
    assert grant["member"] == "${var.proxy_member}"
    assert grant["service_name"] == "${google_endpoints_service.this.service_name}"
    env = load_hcl(gcp_project / "infra/terraform/envs/prod/main.tf")
    endpoints = next(m["endpoints"] for m in env["module"] if "endpoints" in m)
    assert endpoints["proxy_member"] == '${module.iam.service_account_members["serving"]}'
    # ESPv2 runs as serving's Kubernetes service account (Workload Identity), nothing else.
    pod = _one(_manifests(gcp_project), "Deployment", "serving")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "serving"


def _flood(rule: dict[str, Any]) -> tuple[int, bool]:
    """Client A sends threshold + 50 requests in a window, then client B one (same address)."""
    options = rule["rate_limit_options"][0]
    threshold = int(options["rate_limit_threshold"][0]["count"])
    assert options["enforce_on_key"] == "HTTP_HEADER"
    header = options["enforce_on_key_name"]
    counters: Counter[str] = Counter()

    def admitted(headers: dict[str, str]) -> bool:
        counters[headers[header]] += 1
        return counters[headers[header]] <= threshold

    flood = [
        admitted({"x-api-key": "a", "x-forwarded-for": "203.0.113.7"})
        for _ in range(threshold + 50)
    ]
    return flood.count(False), admitted({"x-api-key": "b", "x-forwarded-for": "203.0.113.7"})


CHOICE = re.compile(r'^\$\{var\.([a-z_]+) == "" \? (.+) : (.+)\}$')


def _choose(value: Any, variables: dict[str, Any]) -> Any:
    """Evaluate `${var.x == "" ? A : B}` (A, B: a string, null or var.y) like Terraform."""
    if isinstance(value, dict):
        return {k: _choose(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_choose(item, variables) for item in value]
    match = CHOICE.match(value) if isinstance(value, str) else None
    if not match:
        return value
    branch = match.group(2) if variables[match.group(1)] == "" else match.group(3)
    if branch == "null":
        return None
    return variables[branch[4:]] if branch.startswith("var.") else unquote(branch)


def _edge_policies(project: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The GKE Ingress's Cloud Armor and TLS policies, with the endpoints module's arguments."""
    module = _gateway_module(project)
    (call,) = [
        m["edge"] for m in map(unquote, load_raw_hcl(module / "main.tf")["module"]) if "edge" in m
    ]
    call = _resolve(call, {"var": _defaults(module), "local": {}})
    edge = (module / unquote(call["source"])).resolve()
    variables = {**_defaults(edge), **call}
    resources = _resources(edge / "main.tf")
    policy = _choose(unquote(resources[("google_compute_security_policy", "serving")]), variables)
    tls = unquote(resources[("google_compute_ssl_policy", "serving")])
    return _resolve(policy, {"var": variables, "local": {}}), tls


@pytest.mark.parametrize("gcp_project", ["kubernetes"], indirect=True)
def test_gke_cloud_armor_guards_the_ingress_backend(gcp_project: Path) -> None:
    policy, tls = _edge_policies(gcp_project)
    # TLS 1.2 or later with the RESTRICTED profile: no TLS 1.0/1.1, no CBC-era suites.
    assert (tls["profile"], tls["min_tls_version"]) == ("RESTRICTED", "TLS_1_2")
    rules = policy["rule"]
    expressions = " ".join(r["match"][0].get("expr", [{}])[0].get("expression", "") for r in rules)
    for waf in (
        "sqli-v33-stable",
        "xss-v33-stable",
        "lfi-v33-stable",
        "rce-v33-stable",
        "cve-canary",
    ):
        assert f"evaluatePreconfiguredWaf('{waf}'" in expressions, waf
    assert all(r["action"] == "deny(403)" for r in rules if "expr" in r["match"][0])
    throttle = next(r for r in rules if r["action"] == "throttle")
    refused, other_client_passes = _flood(throttle)
    assert refused == 50 and other_client_passes, "one API key exhausted another's budget"
    # The Ingress's backend carries the policy: BackendConfig named by the Service, its policy
    # name filled from params.env (Terraform output security_policy).
    params = gcp_project / "deploy/kubernetes/overlays/prod/params.env"
    original = params.read_text(encoding="utf-8")
    _plant(params, "security_policy=set-by-rollout", "security_policy=churn-prod-serving")
    _plant(params, "ssl_policy=set-by-rollout", "ssl_policy=churn-prod-tls")
    _plant(params, "endpoints_service=set-by-rollout", "endpoints_service=api.example.cloud.goog")
    try:
        docs = _manifests(gcp_project)
    finally:
        params.write_text(original, encoding="utf-8")
    backend = _one(docs, "BackendConfig", "serving")
    assert backend["spec"]["securityPolicy"]["name"] == "churn-prod-serving"
    # The HTTPS frontend carries the TLS policy: FrontendConfig named by the Ingress.
    assert _one(docs, "FrontendConfig", "serving")["spec"]["sslPolicy"] == "churn-prod-tls"
    ingress = _one(docs, "Ingress", "serving")["metadata"]["annotations"]
    assert ingress["networking.gke.io/v1beta1.FrontendConfig"] == "serving"
    service = _one(docs, "Service", "serving")
    assert service["metadata"]["annotations"]["cloud.google.com/backend-config"] == (
        '{"default": "serving"}'
    )
    esp = _one(docs, "Deployment", "serving")["spec"]["template"]["spec"]["containers"][1]
    assert "--service=api.example.cloud.goog" in esp["args"]
    ingress = _one(docs, "Ingress", "serving")
    assert ingress["metadata"]["annotations"]["kubernetes.io/ingress.class"] == "gce"
    assert ingress["metadata"]["annotations"]["kubernetes.io/ingress.allow-http"] == "false"


def _grpc_config(project: Path) -> dict[str, Any]:
    module = _gateway_module(project)
    locals_ = unquote(load_raw_hcl(module / "main.tf")["locals"][0])
    return _resolve(locals_["grpc_config"], {"local": locals_, "var": _defaults(module)})


def test_gke_grpc_goes_through_espv2_over_http2(gke_grpc_project: Path) -> None:
    config = _grpc_config(gke_grpc_project)
    # Only the prediction service is an API: health and reflection are refused from outside.
    assert [api["name"] for api in config["apis"]] == ["churn.serving.v1.PredictionService"]
    assert config["usage"]["rules"] == [{"selector": "*", "allow_unregistered_calls": False}]
    parameters = config["system_parameters"]["rules"][0]["parameters"]
    assert parameters == [{"name": "api_key", "http_header": "x-goog-api-key"}]
    limited = {limit["metric"] for limit in config["quota"]["limits"]}
    assert all(limit["unit"].endswith("/{project}") for limit in config["quota"]["limits"])
    costs = {r["selector"]: r["metric_costs"] for r in config["quota"]["metric_rules"]}
    assert set(costs["churn.serving.v1.PredictionService.Predict"]) & limited
    env = (gke_grpc_project / "infra/terraform/envs/prod/main.tf").read_text(encoding="utf-8")
    descriptor = re.search(r'filebase64\("\$\{path\.module\}/([^"]+)"\)', env)
    assert descriptor, "the descriptor set is not passed to the Endpoints service"
    pb = (gke_grpc_project / "infra/terraform/envs/prod" / descriptor.group(1)).resolve()
    assert pb == gke_grpc_project / "packages/contracts/src/contracts/proto/api_descriptor.pb"
    assert pb.stat().st_size > 0
    docs = _manifests(gke_grpc_project)
    pod = _one(docs, "Deployment", "serving")["spec"]["template"]["spec"]
    esp = pod["containers"][1]
    assert "--backend=grpc://127.0.0.1:8000" in esp["args"]
    assert "--generate_self_signed_cert" in esp["args"]  # the LB speaks HTTP/2 over TLS only
    service = _one(docs, "Service", "serving")
    assert service["spec"]["ports"][0]["appProtocol"] == "HTTP2"
    assert "HTTP2" in service["metadata"]["annotations"]["cloud.google.com/app-protocols"]
    assert _one(docs, "BackendConfig", "serving")["spec"]["healthCheck"]["type"] == "HTTP2"
    clean = _k8s_check(gke_grpc_project)
    assert clean.returncode == 0, clean.stderr[-3000:]


@pytest.fixture(scope="module", params=["rest", "grpc"])
def gke_jwt(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(f"gke-jwt-{request.param}")
    return _render(tmp, "gcp", "kubernetes", api_style=request.param, gateway_auth="jwt")


def _style(project: Path) -> str:
    return "grpc" if (project / "tools/proto.py").exists() else "rest"


def test_gke_jwt_needs_a_token_of_the_issuer_and_the_key(gke_jwt: Path) -> None:
    project, style = gke_jwt, _style(gke_jwt)
    module = _gateway_module(project)
    locals_ = unquote(load_raw_hcl(module / "main.tf")["locals"][0])
    issuer, jwks = "https://login.test/", "https://login.test/jwks.json"
    values = {**_defaults(module), "title": "API", "jwt_issuer": issuer, "jwt_jwks_uri": jwks}
    scope = {"local": locals_, "var": values}
    if style == "grpc":
        auth = _resolve(locals_["grpc_config"], scope)["authentication"]
        provider = auth["providers"][0]
        assert (provider["issuer"], provider["jwks_uri"]) == (issuer, jwks)
        assert auth["rules"] == [
            {"selector": "*", "requirements": [{"provider_id": provider["id"]}]}
        ]
    else:
        openapi = _resolve(locals_["openapi"], scope)
        bearer = openapi["securityDefinitions"]["bearer"]
        assert (bearer["x-google-issuer"], bearer["x-google-jwks_uri"]) == (issuer, jwks)
        for path, operations in openapi["paths"].items():
            for operation in operations.values():
                # One requirement naming both: the key alone (or the token alone) is refused.
                requirements = [set(r) for r in operation["security"]]
                assert requirements == [{"consumer_key", "bearer"}], path
    conditions = {
        unquote(name): " ".join(unquote(rule["condition"]) for rule in block.get("validation", []))
        for entry in load_raw_hcl(module / "variables.tf")["variable"]
        for name, block in entry.items()
    }
    for name in ("jwt_issuer", "jwt_jwks_uri"):
        assert f'startswith(var.{name}, "https://")' in conditions[name], name
    assert "length(var.jwt_audiences) > 0" in conditions["jwt_audiences"]


# ---------------------------------------------------------------- gateway_auth=jwt on Google Cloud
# Cloud Run's API Gateway; GKE's bearer tokens (ESPv2) are tested with the GKE path above.
@pytest.fixture(scope="module", params=["containers"])
def gcp_jwt(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {
        "cloud": "gcp",
        "iac": "terraform",
        "deploy_target": request.param,
        "api_gateway": "cloud",
        "gateway_auth": "jwt",
    }
    return create_project(tmp_path_factory.mktemp("gcpjwt") / "p", answers).destination


def _jwt_openapi(project: Path) -> dict[str, Any]:
    openapi = _openapi(project)
    issuer = "https://auth.example.com/"
    for scheme in openapi["securityDefinitions"].values():
        if scheme["type"] == "oauth2":  # the module's variables, as an environment sets them
            assert scheme["x-google-issuer"] is None and scheme["x-google-jwks_uri"] is None
            scheme["x-google-issuer"] = issuer
            scheme["x-google-jwks_uri"] = f"{issuer}.well-known/jwks.json"
            assert scheme["x-google-audiences"] == '${join(",", var.jwt_audiences)}'
            scheme["x-google-audiences"] = "https://api.example.com"
    return openapi


def test_gcp_jwt_gateway_requires_a_token_and_a_consumer_key(gcp_jwt: Path) -> None:
    openapi = _jwt_openapi(gcp_jwt)
    token = {
        "authorization": "Bearer t",
        "token": "https://auth.example.com/ https://api.example.com",
    }
    key = {"x-goog-api-key": "c"}
    assert openapi["paths"], "the gateway routes nothing"
    for path, operations in openapi["paths"].items():
        for method in operations:
            assert _gateway_answer(openapi, method, path, {**token, **key}) == 200, path
            # The attacks: a key without a token, a token without a key, a token of another
            # issuer, a token for another audience.
            assert _gateway_answer(openapi, method, path, key) == 401, path
            assert _gateway_answer(openapi, method, path, token) == 401, path
            forged = {**token, "token": "https://evil.example/ https://api.example.com"}
            assert _gateway_answer(openapi, method, path, {**forged, **key}) == 401, path
            other = {**token, "token": "https://auth.example.com/ https://other.example"}
            assert _gateway_answer(openapi, method, path, {**other, **key}) == 401, path


def test_gcp_jwt_issuer_and_keys_are_https_only(gcp_jwt: Path) -> None:
    module = gcp_jwt / "infra/terraform/modules/api_gateway/variables.tf"
    conditions = {
        unquote(name): [unquote(rule["condition"]) for rule in block.get("validation", [])]
        for entry in load_raw_hcl(module)["variable"]
        for name, block in entry.items()
    }
    for name in ("jwt_issuer", "jwt_jwks_uri"):
        (condition,) = conditions[name]
        match = re.search(r'regex\("(.+?)", var\.' + name, condition)
        assert match, condition
        pattern = match.group(1).replace("\\\\", "\\")
        # The attack: an issuer (or key set) in clear text, which anyone on the path can forge.
        assert not re.match(pattern, "http://auth.example.com/"), name
        assert not re.match(pattern, "https:///no-host"), name
        assert re.match(pattern, "https://auth.example.com/"), name
    assert "length(var.jwt_audiences) > 0" in conditions["jwt_audiences"][0]
    env = load_hcl(gcp_jwt / "infra/terraform/envs/prod/main.tf")
    gateway = next(m["api_gateway"] for m in env["module"] if "api_gateway" in m)
    assert gateway["jwt_issuer"] == "${var.gateway_jwt_issuer}"
    for name in ("dev", "prod"):
        tfvars = load_hcl(gcp_jwt / f"infra/terraform/envs/{name}/terraform.tfvars")
        assert tfvars["gateway_jwt_issuer"].startswith("https://"), name
        assert tfvars["gateway_jwt_audiences"], name


def _generated_check(project: Path) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "tools/gateway_auth.py"], cwd=project, capture_output=True, text=True
    )
    return result.returncode, result.stdout + result.stderr


GCP_JWT_DEFECTS: dict[str, tuple[str, str, str, str]] = {
    "http-issuer": (
        "infra/terraform/envs/prod/terraform.tfvars",
        'gateway_jwt_issuer    = "https://',
        'gateway_jwt_issuer    = "http://',
        "gateway_jwt_issuer = 'http://",
    ),
    "key-only-route": (
        "infra/terraform/modules/api_gateway/main.tf",
        "security       = local.security\n          x-google-quota",
        "security       = [{ (local.consumer_scheme) = [] }]\n          x-google-quota",
        "does not require a token and a key",
    ),
    "issuer-validation-removed": (
        "infra/terraform/modules/api_gateway/variables.tf",
        'can(regex("^https://[^/\\\\s]+", var.jwt_issuer))',
        'var.jwt_issuer != ""',
        "variable jwt_issuer does not require an https:// URL",
    ),
}


@pytest.mark.parametrize("defect", list(GCP_JWT_DEFECTS))
@pytest.mark.parametrize("gcp_jwt", ["containers"], indirect=True)
def test_gcp_jwt_defects_fail_the_generated_check(
    tmp_path: Path, gcp_jwt: Path, defect: str
) -> None:
    assert _generated_check(gcp_jwt) == (0, "")
    project = tmp_path / "p"
    shutil.copytree(gcp_jwt / "infra", project / "infra")
    shutil.copytree(gcp_jwt / "tools", project / "tools")
    path, old, new, expected = GCP_JWT_DEFECTS[defect]
    target = project / path
    text = target.read_text(encoding="utf-8")
    assert old in text, (old, path)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    status, output = _generated_check(project)
    assert status == 1 and expected in output, output


GKE_MAIN = "infra/terraform/modules/endpoints/main.tf"
GKE_JWT_DEFECTS: dict[str, tuple[str, str, str, str, str]] = {
    "http-issuer": (
        "any",
        "infra/terraform/envs/dev/terraform.tfvars",
        'gateway_jwt_issuer    = "https://',
        'gateway_jwt_issuer    = "http://',
        "gateway_jwt_issuer = 'http://",
    ),
    "issuer-validation-removed": (
        "any",
        "infra/terraform/modules/endpoints/variables.tf",
        'startswith(var.jwt_jwks_uri, "https://")',
        'var.jwt_jwks_uri != ""',
        "variable jwt_jwks_uri does not require an https:// URL",
    ),
    "key-only-route": (
        "rest",
        GKE_MAIN,
        "security       = local.security\n          x-google-quota",
        "security       = [{ (local.consumer_scheme) = [] }]\n          x-google-quota",
        "does not require a token and a key",
    ),
    "token-optional": (
        "grpc",
        GKE_MAIN,
        'selector     = "*"\n        requirements',
        'selector     = "*"\n        allow_without_credential = true\n        requirements',
        "methods * need no token",
    ),
    "unknown-provider": (
        "grpc",
        GKE_MAIN,
        "requirements = [{ provider_id = local.bearer_scheme }]",
        'requirements = [{ provider_id = "other" }]',
        "methods * need no token",
    ),
    "no-consumer-key": (
        "grpc",
        GKE_MAIN,
        "allow_unregistered_calls = false",
        "allow_unregistered_calls = true",
        "methods * need no consumer key",
    ),
}


@pytest.mark.parametrize(
    ("gke_jwt", "defect"),
    [
        (style, name)
        for name, (applies, *_) in GKE_JWT_DEFECTS.items()
        for style in ("rest", "grpc")
        if applies in ("any", style)
    ],
    indirect=["gke_jwt"],
)
def test_gke_jwt_defects_fail_the_generated_check(
    tmp_path: Path, gke_jwt: Path, defect: str
) -> None:
    _, path, old, new, expected = GKE_JWT_DEFECTS[defect]
    assert _generated_check(gke_jwt) == (0, "")
    project = tmp_path / "p"
    shutil.copytree(gke_jwt / "infra", project / "infra")
    shutil.copytree(gke_jwt / "tools", project / "tools")
    target = project / path
    text = target.read_text(encoding="utf-8")
    assert old in text, (old, path)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    status, output = _generated_check(project)
    assert status == 1 and expected in output, output


# ---------------------------------------------------------------- Azure API Management
def _apim(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        key: unquote(block)
        for key, block in _resources(
            project / "infra/terraform/modules/api_management/main.tf"
        ).items()
    }


def _policy(block: dict[str, Any], values: dict[str, Any]) -> ET.Element:
    xml = block["xml_content"].removeprefix("<<-XML").removesuffix("XML").strip()
    for name, value in values.items():
        xml = xml.replace(f"${{var.{name}}}", str(value))
    return ET.fromstring(xml)  # noqa: S314 (the template's own policy, not untrusted input)


def test_azure_gateway_refuses_callers_without_a_subscription(azure_project: Path) -> None:
    apim = _apim(azure_project)
    api = apim[("azurerm_api_management_api", "serving")]
    product = apim[("azurerm_api_management_product", "clients")]
    assert api["subscription_required"] is True and product["subscription_required"] is True
    assert product["approval_required"] is True  # no self-service keys
    assert api["protocols"] == ["https"]
    operations = apim[("azurerm_api_management_api_operation", "this")]["for_each"]
    routes = {(op["method"], op["url"]) for op in operations.values()}
    assert routes & {("POST", "/v1/predict"), ("POST", "/v1/graphql")}
    assert not {url for _, url in routes} & {"/healthz", "/metrics", "/docs", "/"}


# What API Management counts a call against, per counter-key expression; anything else is one
# counter shared by every caller.
COUNTER_KEYS = {
    "@(context.Subscription.Id)": lambda call: call["subscription"],
    "@(context.Request.IpAddress)": lambda call: call["ip"],
}


def _replay_flood(limit: ET.Element) -> tuple[int, bool]:
    """Client A sends `calls` + 50 requests, then client B one, from the same NAT address.

    Returns how many of A's were refused and whether B's went through.
    """
    key_of = COUNTER_KEYS.get(limit.get("counter-key", ""), lambda call: "everyone")
    calls = int(limit.get("calls", "0"))
    counters: Counter[str] = Counter()

    def admitted(call: dict[str, str]) -> bool:
        counters[key_of(call)] += 1
        return counters[key_of(call)] <= calls

    flood = [admitted({"subscription": "a", "ip": "203.0.113.7"}) for _ in range(calls + 50)]
    return flood.count(False), admitted({"subscription": "b", "ip": "203.0.113.7"})


def test_azure_each_subscription_has_its_own_budget(azure_project: Path) -> None:
    module = azure_project / "infra/terraform/modules/api_management"
    block = _apim(azure_project)[("azurerm_api_management_product_policy", "clients")]
    inbound = _policy(block, _defaults(module)).find("inbound")
    assert inbound is not None
    limits = {el.tag: el for el in inbound}
    assert {"rate-limit-by-key", "quota-by-key"} <= set(limits)
    for tag in ("rate-limit-by-key", "quota-by-key"):
        refused, other_client_passes = _replay_flood(limits[tag])
        assert refused == 50, tag
        assert other_client_passes, f"{tag}: one client exhausted another's budget"


def test_azure_gateway_refuses_bodies_above_the_service_limit(azure_project: Path) -> None:
    module = azure_project / "infra/terraform/modules/api_management"
    defaults = _defaults(module)
    assert defaults["max_request_bytes"] == MAX_REQUEST_BYTES
    policy = _policy(
        _apim(azure_project)[("azurerm_api_management_api_policy", "serving")], defaults
    )
    when = policy.find("inbound/choose/when")
    status = policy.find("inbound/choose/when/return-response/set-status")
    assert when is not None and status is not None and status.get("code") == "413"
    match = re.search(r"Content-Length\", \"0\"\)\) > (\d+)\)$", when.get("condition", ""))
    assert match, when.get("condition")
    limit = int(match.group(1))
    assert 600 * 1024 > limit >= 400 * 1024  # a 600 KiB body is refused, 400 KiB passes


def test_azure_gateway_speaks_tls_1_2_or_newer_only(azure_project: Path) -> None:
    service = _apim(azure_project)[("azurerm_api_management", "this")]
    security = service["security"]
    security = security[0] if isinstance(security, list) else security
    for side in ("frontend", "backend"):
        for version in ("ssl30", "tls10", "tls11"):
            assert security[f"{side}_{version}_enabled"] is False, (side, version)
    assert service["virtual_network_type"] == "External"


def test_azure_backend_is_reached_over_the_vnet_only(azure_project: Path) -> None:
    env = load_hcl(azure_project / "infra/terraform/envs/prod/main.tf")
    gateway = next(m["api_management"] for m in env["module"] if "api_management" in m)
    if (azure_project / "infra/terraform/modules/container_apps").is_dir():
        assert gateway["backend_url"] == '${module.container_apps.internal_urls["serving"]}'
        apps = (azure_project / "infra/terraform/modules/container_apps/main.tf").read_text()
        assert "external_enabled           = false" in apps
    else:
        assert gateway["backend_url"] == "https://${var.gateway_backend_host}"
    subnets = env["locals"][0]["subnets"]
    rules = subnets["api-management"]["allow_inbound"]
    assert {(r["source"], r["port"]) for r in rules.values()} == {
        ("AzureFrontDoor.Backend", 443),
        ("ApiManagement", 3443),
        ("AzureLoadBalancer", 6390),
    }
    others = [name for name, subnet in subnets.items() if subnet.get("allow_inbound")]
    assert others == ["api-management"], others
    diagnostics = _apim(azure_project)[("azurerm_monitor_diagnostic_setting", "this")]
    assert diagnostics["log_analytics_workspace_id"] == "${var.log_analytics_workspace_id}"


# ------------------------------------------ Azure Front Door (WAF) in front of API Management
FRONT_DOOR_GUID = "6f1b3c2a-9d4e-4f5a-8b7c-0e1d2f3a4b5c"
OTHER_FRONT_DOOR_GUID = "0a9b8c7d-6e5f-4a3b-9c1d-2e3f4a5b6c7d"
CHECKER = "tools/azure_gateway_check.py"


@pytest.fixture(scope="module")
def azure_jwt_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("azure-jwt")
    return _render(tmp, "azure", "containers", api_style="rest", gateway_auth="jwt")


def _front_door(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    path = project / "infra/terraform/modules/front_door/main.tf"
    return {key: unquote(block) for key, block in _resources(path).items()}


def _blocks(value: Any) -> list[dict[str, Any]]:
    return value if isinstance(value, list) else [value]


def _nsg_admits(rules: dict[str, dict[str, Any]], source_tags: set[str], port: int) -> bool:
    """Azure NSG evaluation: the lowest-priority-number rule matching source and port decides.

    The gateway subnet's rules (network module): the named allow rules, the explicit internet
    deny at 4096, then Azure's defaults (VNet and load balancer allowed, everything else denied).
    """
    table = [(r["priority"], r["source"], str(r["port"]), "Allow") for r in rules.values()]
    table += [
        (4096, "Internet", "*", "Deny"),
        (65000, "VirtualNetwork", "*", "Allow"),
        (65001, "AzureLoadBalancer", "*", "Allow"),
        (65500, "*", "*", "Deny"),
    ]
    for _, source, ports, access in sorted(table):
        if (source == "*" or source in source_tags) and ports in ("*", str(port)):
            return access == "Allow"
    return False


def test_azure_gateway_answers_its_front_door_only(azure_project: Path) -> None:
    """Calls around Front Door: from the internet, or through another tenant's Front Door."""
    env = load_hcl(azure_project / "infra/terraform/envs/prod/main.tf")
    gateway = next(m["api_management"] for m in env["module"] if "api_management" in m)
    assert gateway["front_door_id"] == "${module.front_door.resource_guid}"
    rules = env["locals"][0]["subnets"]["api-management"]["allow_inbound"]
    # A client on the internet, even one that learnt our GUID, never connects to the gateway.
    assert not _nsg_admits(rules, {"Internet"}, 443)
    # Front Door's backend addresses are on the internet too, and shared by every tenant.
    assert _nsg_admits(rules, {"AzureFrontDoor.Backend", "Internet"}, 443)
    # ... so the gateway refuses any Front Door but ours by its X-Azure-FDID header.
    service = _apim(azure_project)[("azurerm_api_management_policy", "this")]
    policy = _policy(service, {"front_door_id": FRONT_DOOR_GUID})
    check = policy.find("inbound/check-header")
    assert check is not None and check.get("name", "").lower() == "x-azure-fdid"
    allowed = {(value.text or "").strip() for value in check.findall("value")}

    def answer(headers: dict[str, str]) -> int:
        sent = headers.get("x-azure-fdid")
        return 200 if sent in allowed else int(check.get("failed-check-httpcode", "200"))

    assert answer({}) == 403
    assert answer({"x-azure-fdid": OTHER_FRONT_DOOR_GUID}) == 403
    assert answer({"x-azure-fdid": FRONT_DOOR_GUID}) == 200
    assert policy.find("backend/forward-request") is not None
    # Every API policy runs the service policy first, so no API skips the check.
    api = _policy(_apim(azure_project)[("azurerm_api_management_api_policy", "serving")], {})
    assert next(iter(api.find("inbound") or [])).tag == "base"


def test_azure_front_door_is_https_only_and_blocks_in_prevention_mode(azure_project: Path) -> None:
    front_door = _front_door(azure_project)
    route = front_door[("azurerm_cdn_frontdoor_route", "api")]
    assert route["supported_protocols"] == ["Https"]  # plain HTTP is not even redirected
    assert route["forwarding_protocol"] == "HttpsOnly"
    assert route["patterns_to_match"] == ["/${var.path}/*"]
    waf = front_door[("azurerm_cdn_frontdoor_firewall_policy", "this")]
    assert waf["mode"] == "Prevention" and waf["enabled"] is True
    managed = {rule["type"]: rule for rule in _blocks(waf["managed_rule"])}
    assert managed["Microsoft_DefaultRuleSet"]["version"] == "2.1"
    assert {rule["action"] for rule in managed.values()} == {"Block"}
    assert "Microsoft_BotManagerRuleSet" in managed
    security = front_door[("azurerm_cdn_frontdoor_security_policy", "this")]
    firewall = _blocks(_blocks(security["security_policies"])[0]["firewall"])[0]
    assert firewall["cdn_frontdoor_firewall_policy_id"] == (
        "${azurerm_cdn_frontdoor_firewall_policy.this.id}"
    )
    diagnostics = front_door[("azurerm_monitor_diagnostic_setting", "this")]
    categories = {log["category"] for log in _blocks(diagnostics["enabled_log"])}
    assert {"FrontDoorAccessLog", "FrontDoorWebApplicationFirewallLog"} <= categories
    assert diagnostics["log_analytics_workspace_id"] == "${var.log_analytics_workspace_id}"


def _replay_address_flood(
    condition: dict[str, Any], threshold: int, flooder: str
) -> tuple[int, bool]:
    """`flooder` sends threshold + 50 requests in a minute, then another address of its family
    one. Returns how many of the flood were blocked and whether the other request passed."""
    networks = [ipaddress.ip_network(value) for value in condition["match_values"]]
    negated = condition.get("negation_condition") is True
    counted: Counter[str] = Counter()

    def blocked(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        listed = any(ip.version == net.version and ip in net for net in networks)
        if listed == negated:
            return False  # the rule does not match this address: never limited
        counted[address] += 1
        return counted[address] > threshold

    flood = [blocked(flooder) for _ in range(threshold + 50)]
    other = str(ipaddress.ip_address(flooder) + 1)
    return flood.count(True), not blocked(other)


def test_azure_waf_rate_limits_every_client_address(azure_project: Path) -> None:
    """One address floods (IPv4 or IPv6): its surplus is blocked, another address still passes."""
    waf = _front_door(azure_project)[("azurerm_cdn_frontdoor_firewall_policy", "this")]
    rule = next(r for r in _blocks(waf["custom_rule"]) if r["type"] == "RateLimitRule")
    assert rule["action"] == "Block" and rule["rate_limit_duration_in_minutes"] == 1
    assert rule["rate_limit_threshold"] == "${var.requests_per_minute_per_ip}"
    tfvars = load_hcl(azure_project / "infra/terraform/envs/prod/terraform.tfvars")
    threshold = int(tfvars["waf_requests_per_minute_per_ip"])
    condition = _blocks(rule["match_condition"])[0]
    assert condition["match_variable"] == "SocketAddr" and condition["operator"] == "IPMatch"
    for flooder in ("203.0.113.7", "2001:db8::7"):
        refused, other_passes = _replay_address_flood(condition, threshold, flooder)
        assert refused == 50, f"{flooder} escapes the rate limit"
        assert other_passes, f"{flooder}'s flood blocked another address"


# What validate-jwt decides for a token, from the attributes the policy sets (API Management's
# defaults where one is absent: signatures and expiry required).
def _validate_jwt(check: ET.Element, audiences: set[str], token: dict[str, Any] | None) -> bool:
    if token is None:
        return False
    if check.get("require-signed-tokens", "true") == "true" and token["alg"] == "none":
        return False
    if token["alg"] != "none" and token["key"] != "issuer":  # key from the OpenID JWKS only
        return False
    if "exp" not in token:
        if check.get("require-expiration-time", "true") == "true":
            return False
    elif token["exp"] + int(check.get("clock-skew", "0")) < 0:  # seconds from now
        return False
    return bool(audiences) and token.get("aud") in audiences


def test_azure_gateway_refuses_invalid_bearer_tokens(azure_jwt_project: Path) -> None:
    module = azure_jwt_project / "infra/terraform/modules/api_management"
    policy = _policy(_apim(azure_jwt_project)[("azurerm_api_management_api_policy", "serving")], {})
    check = policy.find("inbound/validate-jwt")
    assert check is not None, "gateway_auth=jwt without validate-jwt"
    assert check.get("header-name") == "Authorization" and check.get("require-scheme") == "Bearer"
    config = check.find("openid-config")
    assert config is not None and config.get("url") == "${local.jwt_openid_config_url}"
    locals_ = unquote(load_raw_hcl(module / "main.tf")["locals"][0])
    assert "var.jwt_openid_config_url" in locals_["jwt_openid_config_url"]
    assert "var.jwt_audiences" in locals_["jwt_audiences"]
    assert (check.findtext("audiences") or "").strip() == "${local.jwt_audiences}"
    tfvars = load_hcl(azure_jwt_project / "infra/terraform/envs/prod/terraform.tfvars")
    audiences = set(tfvars["gateway_jwt_audiences"])
    ours = next(iter(audiences))
    good = {"alg": "RS256", "key": "issuer", "exp": 600, "aud": ours}
    assert _validate_jwt(check, audiences, good)
    for name, token in {
        "no token": None,
        "unsigned (alg none)": {**good, "alg": "none", "key": None},
        "signed by another key": {**good, "key": "attacker"},
        "expired an hour ago": {**good, "exp": -3600},
        "no expiry": {k: v for k, v in good.items() if k != "exp"},
        "for another API": {**good, "aud": "api://someone-else"},
    }.items():
        assert not _validate_jwt(check, audiences, token), name
    assert check.get("failed-validation-httpcode") == "401"
    # The refusal carries the API's own JSON error shape and a Bearer challenge.
    when = next(
        w
        for w in policy.findall("on-error/choose/when")
        if "validate-jwt" in w.get("condition", "")
    )
    assert when.find("return-response/set-status").get("code") == "401"  # type: ignore[union-attr]
    headers = {
        h.get("name"): h.findtext("value") for h in when.findall("return-response/set-header")
    }
    assert headers == {"WWW-Authenticate": "Bearer", "Content-Type": "application/json"}
    body = json.loads(when.findtext("return-response/set-body") or "")
    assert body["error"]["code"] == "unauthorized"


def test_azure_jwt_issuer_and_audiences_are_validated(azure_jwt_project: Path) -> None:
    """A plain-HTTP discovery URL (keys fetched in clear text) or no audience at all is refused."""
    variables = unquote(
        load_raw_hcl(azure_jwt_project / "infra/terraform/modules/api_management/variables.tf")
    )
    by_name = {name: block for entry in variables["variable"] for name, block in entry.items()}

    def accepts(name: str, value: Any) -> bool:
        for rule in _blocks(by_name[name]["validation"]):
            condition = rule["condition"]
            pattern = re.search(r'regex\("(.+?)", ', condition)
            assert pattern, condition
            regex = re.compile(pattern.group(1).encode().decode("unicode_escape"))
            values = value if isinstance(value, list) else [value]
            if "length(var.jwt_audiences) > 0" in condition and not values:
                return False
            if not all(regex.search(item) for item in values):
                return False
        return True

    entra = "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration"
    assert accepts("jwt_openid_config_url", entra)
    assert not accepts("jwt_openid_config_url", entra.replace("https://", "http://"))
    assert not accepts("jwt_openid_config_url", "")
    assert accepts("jwt_audiences", ["api://churn-prod"])
    assert not accepts("jwt_audiences", [])
    assert not accepts("jwt_audiences", [""])
    assert not accepts("jwt_audiences", ['api://x"/><audience>*'])


def _run_script(project: Path, script: str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, script, target],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def _run_checker(project: Path) -> subprocess.CompletedProcess[str]:
    return _run_script(project, CHECKER, "infra/terraform")


def test_azure_gateway_check_passes_on_every_variant(azure_project: Path) -> None:
    result = _run_checker(azure_project)
    assert result.returncode == 0, result.stdout + result.stderr
    check = (azure_project / "tools/check.py").read_text()
    assert '"azure-gateway"' in check and CHECKER in check


FRONT_DOOR_TF = "infra/terraform/modules/front_door/main.tf"
APIM_TF = "infra/terraform/modules/api_management/main.tf"
ENV_TF = "infra/terraform/envs/prod/main.tf"
# (file, text, replacement, what the project's check must report)
PLANTED = {
    "fdid-check-removed": (
        APIM_TF,
        '<check-header name="X-Azure-FDID"',
        '<check-header name="X-Forwarded-Host"',
        "does not check X-Azure-FDID first",
    ),
    "fdid-wrong-id": (
        APIM_TF,
        "<value>${var.front_door_id}</value>",
        f"<value>{OTHER_FRONT_DOOR_GUID}</value>",
        "must equal var.front_door_id",
    ),
    "fdid-extra-id": (
        APIM_TF,
        "<value>${var.front_door_id}</value>",
        f"<value>${{var.front_door_id}}</value><value>{OTHER_FRONT_DOOR_GUID}</value>",
        "must equal var.front_door_id",
    ),
    "env-passes-another-id": (
        ENV_TF,
        "front_door_id                  = module.front_door.resource_guid",
        f'front_door_id                  = "{OTHER_FRONT_DOOR_GUID}"',
        "not this environment's module.front_door.resource_guid",
    ),
    "api-policy-skips-service-policy": (
        APIM_TF,
        "      <inbound>\n        <base />\n        <!-- Signed",
        "      <inbound>\n        <!-- Signed",
        "<base /> must open <inbound>",
    ),
    "nsg-open-to-internet": (
        ENV_TF,
        'source = "AzureFrontDoor.Backend"',
        'source = "Internet"',
        "admits Internet on 443",
    ),
    "waf-detection-only": (
        FRONT_DOOR_TF,
        'mode                              = "Prevention"',
        'mode                              = "Detection"',
        "not Prevention",
    ),
    "waf-default-rules-removed": (
        FRONT_DOOR_TF,
        'type    = "Microsoft_DefaultRuleSet"\n    version = "2.1"',
        'type    = "Microsoft_DefaultRuleSet"\n    version = "1.1"',
        "no Microsoft_DefaultRuleSet 2.1",
    ),
    "waf-bot-rules-logged-only": (
        FRONT_DOOR_TF,
        'version = "1.1"\n    action  = "Block"',
        'version = "1.1"\n    action  = "Log"',
        "Microsoft_BotManagerRuleSet action 'Log'",
    ),
    "waf-rate-limit-removed": (
        FRONT_DOOR_TF,
        'type                           = "RateLimitRule"',
        'type                           = "MatchRule"',
        "rate-limit rule",
    ),
    "route-accepts-http": (
        FRONT_DOOR_TF,
        'supported_protocols           = ["Https"]',
        'supported_protocols           = ["Http", "Https"]',
        "route api accepts",
    ),
    "waf-logs-dropped": (
        FRONT_DOOR_TF,
        'category = "FrontDoorWebApplicationFirewallLog"',
        'category = "FrontDoorHealthProbeLog"',
        "FrontDoorWebApplicationFirewallLog is not sent",
    ),
    "jwt-removed": (
        APIM_TF,
        "<validate-jwt ",
        "<validate-jwt-disabled ",
        "does not validate bearer tokens",
    ),
    "jwt-without-expiry": (
        APIM_TF,
        'require-expiration-time="true"',
        'require-expiration-time="false"',
        "require-expiration-time=false",
    ),
    "jwt-unsigned-accepted": (
        APIM_TF,
        'require-signed-tokens="true"',
        'require-signed-tokens="false"',
        "require-signed-tokens=false",
    ),
    "jwt-any-audience": (
        APIM_TF,
        "<audiences>${local.jwt_audiences}</audiences>",
        "<audiences />",
        "does not require var.jwt_audiences",
    ),
    "jwt-html-refusal": (
        APIM_TF,
        '<set-body>{"error": {"code": "unauthorized",',
        "<set-body>Unauthorized",
        "JSON 401",
    ),
}


@pytest.mark.parametrize("defect", sorted(PLANTED))
def test_azure_gateway_check_catches_planted_defects(
    defect: str, azure_jwt_project: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    shutil.copytree(azure_jwt_project / "infra", project / "infra")
    shutil.copytree(azure_jwt_project / "tools", project / "tools")
    assert _run_checker(project).returncode == 0
    relative, text, replacement, report = PLANTED[defect]
    path = project / relative
    source = path.read_text()
    assert source.count(text) == 1, (defect, text)
    path.write_text(source.replace(text, replacement))
    result = _run_checker(project)
    assert result.returncode == 1, result.stdout
    assert report in result.stdout, result.stdout


# ---------------------------------------------------------------- Azure: gRPC on AKS
# API Management's self-hosted gateway in the cluster carries gRPC (ADR 0012); Container Apps
# has no gateway that checks subscriptions on gRPC calls and stays refused.
GRPC_CHECKER = "tools/azure_grpc_gateway_check.py"
GRPC_APIM_TF = "infra/terraform/modules/api_management_gateway/main.tf"
GATEWAY_DEPLOYMENT = "deploy/kubernetes/components/apim-gateway/deployment.yaml"
# The shape of a real gateway token (id & expiry & signature), made up.
FAKE_GATEWAY_TOKEN = "GatewayKey aks&202612291200&" + "Zm9yZ2VkLXNpZ25hdHVyZQ==" * 3
# PEM blocks as a careless commit would hold them (made up, split so no scanner flags this file).
_PEM = "{dashes}BEGIN {kind}{dashes}\nTUFERS1VUA==\n{dashes}END {kind}{dashes}"
PEM_KEY = _PEM.format(dashes="-" * 5, kind="EC PRIVATE KEY")
PEM_CERTIFICATE = _PEM.format(dashes="-" * 5, kind="CERTIFICATE")


def test_azure_grpc_gateway_is_refused_on_container_apps(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs deploy_target=kubernetes") as info:
        _render(tmp_path, "azure", "containers", api_style="grpc")
    assert "\n" not in info.value.message
    assert "use deploy_target=kubernetes, or api_gateway=none" in info.value.message
    assert not (tmp_path / "p").exists()


@pytest.fixture(scope="module")
def azure_grpc_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("azure-grpc")
    return _render(tmp, "azure", "kubernetes", api_style="grpc")


def _grpc_apim(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {key: unquote(block) for key, block in _resources(project / GRPC_APIM_TF).items()}


def test_azure_grpc_api_is_the_committed_proto_on_the_self_hosted_gateway(
    azure_grpc_project: Path,
) -> None:
    apim = _grpc_apim(azure_grpc_project)
    api = apim[("azapi_resource", "api")]
    properties = api["body"]["properties"]
    assert properties["apiType"] == "grpc" and properties["subscriptionRequired"] is True
    assert properties["value"] == "${var.proto}" and properties["path"] == ""
    assert apim[("azurerm_api_management_gateway_api", "serving")]["api_id"] == (
        "${azapi_resource.api.id}"
    )
    env = (azure_grpc_project / "infra/terraform/envs/prod/main.tf").read_text()
    proto = re.search(r'proto\s+= file\("\$\{path.module\}/([^"]+)"\)', env)
    assert proto, "the environment does not pass the committed .proto"
    path = (azure_grpc_project / "infra/terraform/envs/prod" / proto.group(1)).resolve()
    assert path.is_file() and "service PredictionService" in path.read_text()
    # No Front Door or managed-gateway module: neither carries gRPC.
    modules = azure_grpc_project / "infra/terraform/modules"
    assert not (modules / "front_door").exists() and not (modules / "api_management").exists()


def test_azure_grpc_each_subscription_has_its_own_budget(azure_grpc_project: Path) -> None:
    module = azure_grpc_project / "infra/terraform/modules/api_management_gateway"
    apim = _grpc_apim(azure_grpc_project)
    assert apim[("azurerm_api_management_product", "clients")]["subscription_required"] is True
    assert apim[("azurerm_api_management_product_api", "clients")]["api_name"] == (
        "${azapi_resource.api.name}"
    )
    block = apim[("azurerm_api_management_product_policy", "clients")]
    inbound = _policy(block, _defaults(module)).find("inbound")
    assert inbound is not None
    limits = {el.tag: el for el in inbound}
    for tag in ("rate-limit-by-key", "quota-by-key"):
        refused, other_client_passes = _replay_flood(limits[tag])
        assert refused == 50, tag
        assert other_client_passes, f"{tag}: one client exhausted another's budget"


def test_azure_grpc_gateway_speaks_http2_over_tls_1_2_or_newer(azure_grpc_project: Path) -> None:
    apim = _grpc_apim(azure_grpc_project)
    host = apim[("azurerm_api_management_gateway_host_name_configuration", "api")]
    assert host["http2_enabled"] is True
    assert host["tls10_enabled"] is False and host["tls11_enabled"] is False
    security = apim[("azurerm_api_management", "this")]["security"]
    security = security[0] if isinstance(security, list) else security
    assert set(security.values()) == {False}
    docs = _manifests(azure_grpc_project)
    service = _one(docs, "Service", "apim-gateway")
    assert service["spec"]["type"] == "LoadBalancer"
    # Only the TLS port is published; the L4 load balancer passes TLS (and ALPN) through.
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(443, "https")]


def test_azure_grpc_serving_is_reachable_through_the_gateway_only(
    azure_grpc_project: Path,
) -> None:
    docs = _manifests(azure_grpc_project)
    assert not [d for d in docs if d["kind"] == "Ingress"]
    policies = [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        == "serving"
        and "Ingress" in d["spec"]["policyTypes"]
    ]
    sources = [
        (rule.get("from"), [p["port"] for p in rule.get("ports", [])])
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
    ]
    to_api = [peers for peers, ports in sources if 8000 in ports or not ports]
    assert to_api == [
        [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "apim-gateway"}}}]
    ]
    env = (azure_grpc_project / "infra/terraform/envs/prod/main.tf").read_text()
    assert 'backend_url                    = "https://serving.${var.kubernetes_namespace}' in env


def _serving_host(project: Path) -> str:
    """The Service name the gateway calls (Terraform's backend_url with its namespace)."""
    env = project / "infra/terraform/envs/prod"
    url = re.search(r'backend_url\s+= "https://([^":/]+)', (env / "main.tf").read_text())
    assert url, "no https:// backend_url"
    namespace = _defaults(env)["kubernetes_namespace"]
    return url.group(1).replace("${var.kubernetes_namespace}", namespace)


def test_azure_grpc_serving_speaks_tls_with_its_key_vault_certificate(
    azure_grpc_project: Path,
) -> None:
    host = _serving_host(azure_grpc_project)
    docs = _manifests(azure_grpc_project)
    assert host == f"serving.{_one(docs, 'Deployment', 'serving')['metadata']['namespace']}" + (
        ".svc.cluster.local"
    )
    pod = _one(docs, "Deployment", "serving")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    # TLS on the server itself: no "TLS ends upstream" escape hatch, key and chain from files.
    assert "APP_TLS_TERMINATED_UPSTREAM" not in env
    assert env["APP_TLS_CERT_FILE"] and env["APP_TLS_KEY_FILE"]
    assert env["APP_TLS_SERVER_NAME"] == host
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for variable in ("APP_TLS_CERT_FILE", "APP_TLS_KEY_FILE"):
        (mount,) = [m for m in mounts.values() if env[variable].startswith(m["mountPath"] + "/")]
        assert mount["readOnly"] is True
        secret = volumes[mount["name"]]["secret"]
        assert secret["defaultMode"] & 0o222 == 0 and secret["defaultMode"] & 0o007 == 0
    # The Secret is synced from Key Vault through serving's own store, nowhere else.
    synced = [
        d
        for d in docs
        if d["kind"] == "ExternalSecret" and d["spec"]["target"]["name"] == secret["secretName"]
    ]
    assert len(synced) == 1
    store = _one(docs, "ClusterSecretStore", synced[0]["spec"]["secretStoreRef"]["name"])
    assert store["spec"]["provider"]["azurekv"]["serviceAccountRef"]["name"] == "serving"
    assert not [d for d in docs if d["kind"] == "Secret"]
    # The kubelet's gRPC probes cannot speak TLS: the image's TLS-aware health check runs.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert set(container[probe]) & {"grpc", "httpGet", "tcpSocket"} == set(), probe
        assert container[probe]["exec"]["command"][:3] == ["python", "-m", "serving.grpc_probe"]
    assert container["readinessProbe"]["exec"]["command"][3:] == [""]
    service = _one(docs, "Service", "serving")
    assert [(p["port"], p.get("appProtocol")) for p in service["spec"]["ports"]] == [(443, None)]


def test_azure_grpc_gateway_validates_servings_key_vault_certificate(
    azure_grpc_project: Path,
) -> None:
    apim = _grpc_apim(azure_grpc_project)
    module = azure_grpc_project / "infra/terraform/modules/api_management_gateway"
    certificate = apim[("azurerm_key_vault_certificate", "serving_tls")]["certificate_policy"]
    certificate = certificate[0] if isinstance(certificate, list) else certificate
    first = lambda value: value[0] if isinstance(value, list) else value  # noqa: E731
    assert first(certificate["issuer_parameters"])["name"] == "Self"
    key = first(certificate["key_properties"])
    assert key["exportable"] is True and key["reuse_key"] is True
    assert first(certificate["secret_properties"])["content_type"] == "application/x-pem-file"
    x509 = first(certificate["x509_certificate_properties"])
    assert x509["extended_key_usage"] == ["1.3.6.1.5.5.7.3.1"]
    assert first(x509["subject_alternative_names"])["dns_names"] == ["${local.backend_host}"]
    renewal = first(certificate["lifetime_action"])
    assert first(renewal["action"])["action_type"] == "AutoRenew"
    # The SAN is the host of backend_url, which only https:// passes.
    main = (module / "main.tf").read_text()
    assert 'backend_host = regex("^https://([^:/]+)", var.backend_url)[0]' in main
    variables = (module / "variables.tf").read_text()
    assert 'can(regex("^https://[a-z0-9-]+' in variables
    backend = apim[("azurerm_api_management_backend", "serving")]
    assert backend["url"] == "${var.backend_url}"
    tls = first(backend["tls"])
    assert tls == {"validate_certificate_chain": True, "validate_certificate_name": True}
    routed = _policy(apim[("azurerm_api_management_api_policy", "serving")], {}).find(
        "inbound/set-backend-service"
    )
    assert routed is not None
    assert routed.get("backend-id") == "${azurerm_api_management_backend.serving.name}"
    trusted = apim[("azurerm_api_management_gateway_certificate_authority", "serving")]
    assert trusted["is_trusted"] is True
    assert trusted["certificate_name"] == "${azurerm_api_management_certificate.serving.name}"
    uploaded = apim[("azurerm_api_management_certificate", "serving")]
    source = "${azurerm_key_vault_certificate.serving_tls.versionless_secret_id}"
    assert uploaded["key_vault_secret_id"] == source
    # Serving's identity reads its certificate's secret (and the gateway's token stays apart).
    env = (azure_grpc_project / "infra/terraform/envs/prod/main.tf").read_text()
    assert (
        'service == "serving" ? [module.api_management_gateway.serving_certificate_secret_id] : []'
        in env
    )


def test_azure_grpc_gateway_token_comes_from_key_vault_only(azure_grpc_project: Path) -> None:
    docs = _manifests(azure_grpc_project)
    pod = _one(docs, "Deployment", "apim-gateway")["spec"]["template"]["spec"]
    env = {item["name"]: item for item in pod["containers"][0]["env"]}
    auth = env["config.service.auth"]
    assert "value" not in auth
    assert auth["valueFrom"]["secretKeyRef"] == {"name": "apim-gateway-token", "key": "token"}
    synced = _one(docs, "ExternalSecret", "apim-gateway-token")
    store = _one(docs, "ClusterSecretStore", synced["spec"]["secretStoreRef"]["name"])
    # Read as the gateway's own identity: serving's store (and identity) cannot reach it.
    assert store["spec"]["provider"]["azurekv"]["serviceAccountRef"]["name"] == "apim-gateway"
    assert pod["serviceAccountName"] == "apim-gateway"
    main = (azure_grpc_project / "infra/terraform/envs/prod/main.tf").read_text()
    readers = dict(re.findall(r'^\s+([a-z-]+)\s+= (\["[a-z-]+"\])$', main, re.M))
    assert readers["apim-gateway"] == '["apim-gateway-token"]'
    assert readers["serving"] == '["api-key"]'
    container = pod["containers"][0]["securityContext"]
    assert container["readOnlyRootFilesystem"] is True and container["runAsNonRoot"] is True
    assert container["capabilities"]["drop"] == ["ALL"]


def _run_grpc_checker(project: Path) -> subprocess.CompletedProcess[str]:
    return _run_script(project, GRPC_CHECKER, ".")


def test_azure_grpc_gateway_check_passes(azure_grpc_project: Path) -> None:
    result = _run_grpc_checker(azure_grpc_project)
    assert result.returncode == 0, result.stdout + result.stderr
    check = (azure_grpc_project / "tools/check.py").read_text()
    assert '"azure-grpc-gateway"' in check and GRPC_CHECKER in check


# (file, text, replacement, what the project's check must report)
GRPC_PLANTED = {
    "no-rate-limit": (
        GRPC_APIM_TF,
        '<rate-limit-by-key calls="${var.requests_per_minute_per_client}" renewal-period="60" '
        'counter-key="@(context.Subscription.Id)" />',
        "",
        "has no rate-limit-by-key",
    ),
    "quota-shared-by-everyone": (
        GRPC_APIM_TF,
        'renewal-period="86400" counter-key="@(context.Subscription.Id)"',
        'renewal-period="86400" counter-key="@(context.Request.IpAddress)"',
        "quota-by-key of product clients is not counted per subscription",
    ),
    "api-in-no-product": (
        GRPC_APIM_TF,
        "  api_name            = azapi_resource.api.name\n  api_management_name = "
        "azurerm_api_management.this.name\n  resource_group_name = var.resource_group_name\n}\n\n"
        'resource "azurerm_api_management_product_policy"',
        '  api_name            = "other"\n  api_management_name = '
        "azurerm_api_management.this.name\n  resource_group_name = var.resource_group_name\n}\n\n"
        'resource "azurerm_api_management_product_policy"',
        "the gRPC API is in no product",
    ),
    "no-subscription": (
        GRPC_APIM_TF,
        "subscriptionRequired = true",
        "subscriptionRequired = false",
        "does not require a subscription",
    ),
    "http2-off": (
        GRPC_APIM_TF,
        "http2_enabled                      = true",
        "http2_enabled                      = false",
        "does not accept HTTP/2",
    ),
    "tls11-on": (
        GRPC_APIM_TF,
        "tls11_enabled                      = false",
        "tls11_enabled                      = true",
        "accepts TLS 1.0 or 1.1",
    ),
    "token-in-deployment": (
        GATEWAY_DEPLOYMENT,
        "              valueFrom:\n                secretKeyRef:\n"
        "                  name: apim-gateway-token\n                  key: token\n",
        f'              value: "{FAKE_GATEWAY_TOKEN}"\n',
        "holds a self-hosted gateway token",
    ),
    "cleartext-backend-url": (
        "infra/terraform/envs/prod/main.tf",
        '"https://serving.${var.kubernetes_namespace}.svc.cluster.local:443"',
        '"http://serving.${var.kubernetes_namespace}.svc.cluster.local:80"',
        "infra/terraform/envs/prod/main.tf: backend_url is cleartext",
    ),
    "h2c-backend-url": (
        "infra/terraform/envs/dev/main.tf",
        '"https://serving.${var.kubernetes_namespace}.svc.cluster.local:443"',
        '"h2c://serving.${var.kubernetes_namespace}.svc.cluster.local:80"',
        "infra/terraform/envs/dev/main.tf: backend_url is cleartext",
    ),
    "cleartext-service-url": (
        GRPC_APIM_TF,
        "serviceUrl           = var.backend_url",
        'serviceUrl           = "http://serving.ns.svc.cluster.local"',
        "the gRPC API's serviceUrl is cleartext",
    ),
    "h2c-service-port": (
        "deploy/kubernetes/components/apim-gateway/serving-service.yaml",
        "    protocol: TCP\n",
        "    protocol: TCP\n    appProtocol: kubernetes.io/h2c\n",
        "serving's port declares h2c",
    ),
    "chain-validation-off": (
        GRPC_APIM_TF,
        "validate_certificate_chain = true",
        "validate_certificate_chain = false",
        "backend serving does not validate serving's certificate (validate_certificate_chain)",
    ),
    "name-validation-off": (
        GRPC_APIM_TF,
        "validate_certificate_name  = true",
        "validate_certificate_name  = false",
        "backend serving does not validate serving's certificate (validate_certificate_name)",
    ),
    "backend-bypassed": (
        GRPC_APIM_TF,
        'backend-id="${azurerm_api_management_backend.serving.name}"',
        'backend-id="serving-unchecked"',
        "does not send calls to a validating backend",
    ),
    "certificate-not-trusted": (
        GRPC_APIM_TF,
        "is_trusted        = true",
        "is_trusted        = false",
        "the self-hosted gateway does not trust serving's Key Vault certificate",
    ),
    "serving-plaintext-behind-gateway": (
        "deploy/kubernetes/components/apim-gateway/serving-tls.yaml",
        "              $patch: delete\n",
        '              value: "true"\n',
        "APP_TLS_TERMINATED_UPSTREAM is not deleted",
    ),
    "kubelet-grpc-probe": (
        "deploy/kubernetes/components/apim-gateway/serving-tls.yaml",
        "          readinessProbe:\n            grpc: null\n",
        "          readinessProbe:\n            grpc:\n              port: 8000\n",
        "a kubelet gRPC probe speaks plaintext to a TLS port",
    ),
    "tls-patch-not-applied": (
        "deploy/kubernetes/components/apim-gateway/kustomization.yaml",
        "  - path: serving-tls.yaml\n",
        "",
        "kustomization.yaml does not apply serving-tls.yaml",
    ),
    "tls-volume-writable": (
        "deploy/kubernetes/components/apim-gateway/serving-tls.yaml",
        "              readOnly: true\n",
        "",
        "the certificate volume is not mounted read-only",
    ),
    "private-key-in-overlay": (
        "deploy/kubernetes/overlays/prod/params.env",
        "serving_tls_credential_name=set-by-rollout",
        "serving_tls_credential_name=set-by-rollout\n# " + PEM_KEY.replace("\n", "\n# "),
        "deploy/kubernetes/overlays/prod/params.env: holds a certificate or private key (PEM)",
    ),
    "certificate-in-secret-manifest": (
        "deploy/kubernetes/components/apim-gateway/serving-tls-externalsecret.yaml",
        "  refreshInterval: 1h\n",
        "  refreshInterval: 1h\n  # tls.crt: |\n  #   "
        + PEM_CERTIFICATE.replace("\n", "\n  #   ")
        + "\n",
        "serving-tls-externalsecret.yaml: holds a certificate or private key (PEM)",
    ),
    "token-in-params": (
        "deploy/kubernetes/overlays/prod/params.env",
        "apim_gateway_credential_name=set-by-rollout",
        f"apim_gateway_credential_name=set-by-rollout\ngateway_token={FAKE_GATEWAY_TOKEN}",
        "deploy/kubernetes/overlays/prod/params.env: holds a self-hosted gateway token",
    ),
}


@pytest.mark.parametrize("defect", sorted(GRPC_PLANTED))
def test_azure_grpc_gateway_check_catches_planted_defects(
    defect: str, azure_grpc_project: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    for part in ("infra", "tools", "deploy"):
        shutil.copytree(azure_grpc_project / part, project / part)
    assert _run_grpc_checker(project).returncode == 0
    relative, text, replacement, report = GRPC_PLANTED[defect]
    path = project / relative
    source = path.read_text()
    assert source.count(text) == 1, (defect, text)
    path.write_text(source.replace(text, replacement))
    result = _run_grpc_checker(project)
    assert result.returncode == 1, result.stdout
    assert report in result.stdout, result.stdout
