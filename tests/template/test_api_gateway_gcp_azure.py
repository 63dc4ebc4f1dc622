"""Issue 13: api_gateway=cloud on Google Cloud (API Gateway) and Azure (API Management).

Renders each cloud on each deploy target (read from copier.yml), parses the gateway's
Terraform with python-hcl2 and replays requests against what it configures: the route table
and security requirements of the OpenAPI document API Gateway receives, and the policies API
Management runs. Each test performs one attack (no consumer key, a path that is not the API,
a call around the gateway, an oversized body, one client exhausting another's budget, an old
TLS version) and fails if the defence is removed from the template.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

QUESTIONS = {question.name: question for question in load_questions()}
TARGETS = [str(choice) for choice in QUESTIONS["deploy_target"].choices.values()]
# The service's own body limit (contracts.Settings.max_request_bytes), which the gateway mirrors.
MAX_REQUEST_BYTES = 512 * 1024
REF = re.compile(r"^\$\{\(?(local|var)\.([a-z_]+)\)?\}$")


def _strip(value: Any) -> Any:
    """python-hcl2 keeps quotes around strings; drop them, recursively (keys too)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_strip(item) for item in value]
    if isinstance(value, dict):
        return {_strip(k): _strip(v) for k, v in value.items() if not k.startswith("__")}
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)  # type: ignore[no-any-return]


def _resources(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in _load(path).get("resource", []):
        for kind, named in entry.items():
            for name, block in named.items():
                found[(_strip(kind), _strip(name))] = block
    return found


def _defaults(module: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entry in _load(module / "variables.tf").get("variable", []):
        for name, block in entry.items():
            values[_strip(name)] = _strip(block.get("default"))
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


def _render(tmp: Path, cloud: str, target: str) -> Path:
    answers = {"cloud": cloud, "iac": "terraform", "deploy_target": target, "api_gateway": "cloud"}
    return create_project(tmp / "p", answers).destination


@pytest.fixture(scope="module", params=TARGETS)
def gcp_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("gcp"), "gcp", request.param)


@pytest.fixture(scope="module", params=TARGETS)
def azure_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("azure"), "azure", request.param)


# ---------------------------------------------------------------- Google Cloud API Gateway
def _openapi(project: Path) -> dict[str, Any]:
    """The OpenAPI document API Gateway receives, with locals and variable defaults filled in."""
    module = project / "infra/terraform/modules/api_gateway"
    locals_ = _strip(_load(module / "main.tf")["locals"][0])
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


def test_gcp_gateway_forwards_over_https_only(gcp_project: Path) -> None:
    module = gcp_project / "infra/terraform/modules/api_gateway/variables.tf"
    openapi = _strip(_load(module.with_name("main.tf"))["locals"][0])["openapi"]
    backend = openapi["x-google-backend"]
    conditions = [
        _strip(rule["condition"])
        for entry in _load(module)["variable"]
        for name, block in entry.items()
        if _strip(name) == "backend_url"
        for rule in block.get("validation", [])
    ]
    assert backend["address"] == "${var.backend_url}"
    assert any('startswith(var.backend_url, "https://")' in c for c in conditions), conditions


@pytest.mark.parametrize("gcp_project", ["containers"], indirect=True)
def test_gcp_cloud_run_is_invokable_by_the_gateway_alone(gcp_project: Path) -> None:
    env = _strip(_load(gcp_project / "infra/terraform/envs/prod/main.tf"))
    cloud_run = next(m["cloud_run"] for m in env["module"] if "cloud_run" in m)
    assert cloud_run["invoker_members"] == ["${module.api_gateway.backend_caller_member}"]
    resources = _resources(gcp_project / "infra/terraform/modules/cloud_run/main.tf")
    service = _strip(resources[("google_cloud_run_v2_service", "serving")])
    # Open ingress only together with the IAM invoker check, which only the serving_domain
    # load balancer (exclusive with the gateway, see the variable's validation) turns off.
    assert "INGRESS_TRAFFIC_ALL" in service["ingress"]
    assert "length(var.invoker_members) > 0" in service["ingress"]
    assert service["invoker_iam_disabled"] == '${var.serving_domain != ""}'
    invoker = _strip(resources[("google_cloud_run_v2_service_iam_member", "invokers")])
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "${var.invoker_members[count.index]}"
    text = "\n".join(p.read_text() for p in (gcp_project / "infra/terraform").rglob("*.tf"))
    assert not re.search(r'member\s*=\s*"all(Authenticated)?Users"', text)


@pytest.mark.parametrize("gcp_project", ["kubernetes"], indirect=True)
def test_gcp_gateway_forwards_to_the_ingress_host_of_each_environment(gcp_project: Path) -> None:
    env = _strip(_load(gcp_project / "infra/terraform/envs/prod/main.tf"))
    gateway = next(m["api_gateway"] for m in env["module"] if "api_gateway" in m)
    assert gateway["backend_url"] == "https://${var.gateway_backend_host}"
    for name in ("dev", "prod"):
        tfvars = _strip(_load(gcp_project / f"infra/terraform/envs/{name}/terraform.tfvars"))
        params = (gcp_project / f"deploy/kubernetes/overlays/{name}/params.env").read_text()
        assert f"api_host={tfvars['gateway_backend_host']}\n" in params, name


def test_gcp_ci_may_act_as_the_gateway_account_only(gcp_project: Path) -> None:
    module = gcp_project / "infra/terraform/modules/api_gateway"
    resources = _resources(module / "main.tf")
    binding = _strip(resources[("google_service_account_iam_member", "config_deployers")])
    assert binding["service_account_id"] == "${google_service_account.gateway.name}"
    assert binding["role"] == "roles/iam.serviceAccountUser"
    variables = _strip(_load(gcp_project / "infra/terraform/envs/prod/variables.tf"))
    roles = next(v["ci_project_roles"] for v in variables["variable"] if "ci_project_roles" in v)
    assert "roles/apigateway.admin" in roles["default"]
    assert "roles/iam.serviceAccountUser" not in roles["default"]


# ---------------------------------------------------------------- gateway_auth=jwt on Google Cloud
@pytest.fixture(scope="module", params=TARGETS)
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
        _strip(name): [_strip(rule["condition"]) for rule in block.get("validation", [])]
        for entry in _load(module)["variable"]
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
    env = _strip(_load(gcp_jwt / "infra/terraform/envs/prod/main.tf"))
    gateway = next(m["api_gateway"] for m in env["module"] if "api_gateway" in m)
    assert gateway["jwt_issuer"] == "${var.gateway_jwt_issuer}"
    for name in ("dev", "prod"):
        tfvars = _strip(_load(gcp_jwt / f"infra/terraform/envs/{name}/terraform.tfvars"))
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


# ---------------------------------------------------------------- Azure API Management
def _apim(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        key: _strip(block)
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
    assert ("POST", "/v1/predict") in routes
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
    env = _strip(_load(azure_project / "infra/terraform/envs/prod/main.tf"))
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
        ("Internet", 443),
        ("ApiManagement", 3443),
        ("AzureLoadBalancer", 6390),
    }
    others = [name for name, subnet in subnets.items() if subnet.get("allow_inbound")]
    assert others == ["api-management"], others
    diagnostics = _apim(azure_project)[("azurerm_monitor_diagnostic_setting", "this")]
    assert diagnostics["log_analytics_workspace_id"] == "${var.log_analytics_workspace_id}"
