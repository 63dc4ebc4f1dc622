"""api_gateway=cloud on AWS (issue 13): the gateway is the only public entry of the API.

Each variant is rendered and its infrastructure read as data (Terraform through python-hcl2,
CloudFormation and the built kustomize overlay as YAML). `gateway_findings` lists every broken
property; the clean render must have none, and each planted misconfiguration (a method without
API key, a public NLB, an inbound rule on the NLB, a WAF without Log4j rules, an unencrypted
access log, a public Ingress next to the gateway) must be reported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from tests.tools import require

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is needed to parse Terraform")

BASE = {"cloud": "aws", "api_gateway": "cloud", "ci": "github"}
TF_MODULES = "infra/terraform/modules"
CFN_STACK = "infra/cloudformation/api-gateway.yaml"


def _unquote(value: Any) -> Any:
    return value.strip('"') if isinstance(value, str) else value


def _resources(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource block of a Terraform file."""
    with path.open(encoding="utf-8") as handle:
        document = hcl2.load(handle)
    for block in document.get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                yield _unquote(kind), _unquote(name), body


def _terraform(project: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for module in ("api_gateway", "waf"):
        for path in sorted((project / TF_MODULES / module).glob("*.tf")):
            found += [(module, kind, name, body) for kind, name, body in _resources(path)]
    return found


def terraform_findings(project: Path) -> list[str]:
    problems: list[str] = []
    resources = _terraform(project)
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for _, kind, name, body in resources:
        by_kind.setdefault(kind, []).append((name, body))

    methods = by_kind.get("aws_api_gateway_method", [])
    if not methods:
        problems.append("no API Gateway method")
    for name, body in methods:
        if body.get("api_key_required") is not True:
            problems.append(f"method {name} does not require an API key")
    paths = {_unquote(body["path_part"]) for _, body in by_kind.get("aws_api_gateway_resource", [])}
    if paths != {"v1", "{proxy+}"}:
        problems.append(f"routes other than /v1/...: {sorted(paths)}")
    for name, body in by_kind.get("aws_api_gateway_integration", []):
        if _unquote(body.get("connection_type")) != "VPC_LINK":
            problems.append(f"integration {name} is not private (VPC_LINK)")
    for name, body in by_kind.get("aws_lb", []):
        if body.get("internal") is not True:
            problems.append(f"load balancer {name} is internet-facing")
    for name, body in by_kind.get("aws_vpc_security_group_ingress_rule", []):
        if "aws_security_group.nlb" in str(body.get("security_group_id")):
            problems.append(f"ingress rule {name} opens the gateway NLB")
    associations = by_kind.get("aws_wafv2_web_acl_association", [])
    if not any("aws_api_gateway_stage" in str(b.get("resource_arn")) for _, b in associations):
        problems.append("no AWS WAF web ACL on the stage")
    acl = str(by_kind.get("aws_wafv2_web_acl", []))
    for rule in ("AWSManagedRulesKnownBadInputsRuleSet", "rate_based_statement"):
        if rule not in acl:
            problems.append(f"WAF web ACL lacks {rule}")
    for name, body in by_kind.get("aws_cloudwatch_log_group", []):
        if not body.get("kms_key_id") or not body.get("retention_in_days"):
            problems.append(f"log group {name} is not KMS-encrypted with retention")
    stages = by_kind.get("aws_api_gateway_stage", [])
    if not stages or not all(body.get("access_log_settings") for _, body in stages):
        problems.append("stage without access logs")
    return problems


def cloudformation_findings(project: Path) -> list[str]:
    problems: list[str] = []
    template = yaml.safe_load((project / CFN_STACK).read_text(encoding="utf-8"))
    resources: dict[str, dict[str, Any]] = template["Resources"]

    def of(kind: str) -> dict[str, dict[str, Any]]:
        return {n: r.get("Properties", {}) for n, r in resources.items() if r["Type"] == kind}

    for name, props in of("AWS::ApiGateway::Method").items():
        if props.get("ApiKeyRequired") is not True:
            problems.append(f"method {name} does not require an API key")
        if props.get("Integration", {}).get("ConnectionType") != "VPC_LINK":
            problems.append(f"method {name} is not integrated privately (VPC_LINK)")
    for name, props in of("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        if props.get("Scheme") != "internal":
            problems.append(f"load balancer {name} is internet-facing")
    for name, props in of("AWS::EC2::SecurityGroup").items():
        if props.get("SecurityGroupIngress"):
            problems.append(f"security group {name} has inbound rules")
    if not of("AWS::WAFv2::WebACLAssociation"):
        problems.append("no AWS WAF web ACL on the stage")
    acl = str(of("AWS::WAFv2::WebACL"))
    for rule in ("AWSManagedRulesKnownBadInputsRuleSet", "RateBasedStatement"):
        if rule not in acl:
            problems.append(f"WAF web ACL lacks {rule}")
    for name, props in of("AWS::Logs::LogGroup").items():
        if not props.get("KmsKeyId") or not props.get("RetentionInDays"):
            problems.append(f"log group {name} is not KMS-encrypted with retention")
    if not all(p.get("AccessLogSetting") for p in of("AWS::ApiGateway::Stage").values()):
        problems.append("stage without access logs")
    return problems


def kubernetes_findings(project: Path) -> list[str]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is needed to build the overlays")
    problems: list[str] = []
    for env in ("dev", "prod"):
        overlay = project / "deploy/kubernetes/overlays" / env
        built = subprocess.run(
            [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True
        ).stdout
        kinds = {doc["kind"]: doc for doc in yaml.safe_load_all(built) if doc}
        if "Ingress" in kinds:
            problems.append(f"{env}: a public Ingress bypasses the gateway")
        if "TargetGroupBinding" not in kinds:
            problems.append(f"{env}: serving does not join the gateway's target group")
        configs = [
            doc
            for doc in yaml.safe_load_all(built)
            if doc
            and doc["kind"] == "ConfigMap"
            and doc["metadata"]["name"].startswith("app-config")
        ]
        if not any("APP_API_KEY_HASHES" in doc.get("data", {}) for doc in configs):
            problems.append(f"{env}: serving does not learn the gateway's client keys")
    return problems


def _render(tmp_path: Path, **answers: str) -> Path:
    return create_project(tmp_path / "p", {**BASE, **answers}).destination


@pytest.fixture(scope="module")
def tf_containers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("tfc"), iac="terraform", deploy_target="containers")


@pytest.fixture(scope="module")
def tf_kubernetes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("tfk"), iac="terraform", deploy_target="kubernetes")


@pytest.fixture(scope="module")
def cfn_containers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("cfc"), iac="cloudformation", deploy_target="containers")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_terraform_gateway_is_the_only_guarded_entry(tf_containers: Path) -> None:
    assert terraform_findings(tf_containers) == []


def test_serving_accepts_the_gateway_keys_and_joins_its_target_group(tf_containers: Path) -> None:
    main = (tf_containers / "infra/terraform/envs/prod/main.tf").read_text(encoding="utf-8")
    assert "APP_API_KEY_HASHES = module.api_gateway.api_key_hashes" in main
    assert "gateway_target_group_arn = module.api_gateway.target_group_arn" in main
    variables = (tf_containers / "infra/terraform/envs/prod/variables.tf").read_text("utf-8")
    assert "condition     = !var.public_serving" in variables, "a public ALB next to the gateway"


GATEWAY_MAIN = f"{TF_MODULES}/api_gateway/main.tf"
GATEWAY_NLB = f"{TF_MODULES}/api_gateway/nlb.tf"
WAF_MAIN = f"{TF_MODULES}/waf/main.tf"
TF_DEFECTS: dict[str, tuple[str, str, str, str]] = {
    "method-without-key": (
        GATEWAY_MAIN,
        "api_key_required     = true",
        "api_key_required     = false",
        "does not require an API key",
    ),
    "public-nlb": (
        GATEWAY_NLB,
        "internal                         = true",
        "internal = false",
        "internet-facing",
    ),
    "public-integration": (
        GATEWAY_MAIN,
        'connection_type         = "VPC_LINK"',
        'connection_type = "INTERNET"',
        "not private",
    ),
    "extra-route": (
        GATEWAY_MAIN,
        'path_part   = "v1"',
        'path_part   = "healthz"',
        "routes other than /v1",
    ),
    "no-log4j-rules": (
        WAF_MAIN,
        '"AWSManagedRulesKnownBadInputsRuleSet"',
        '"AWSManagedRulesAdminProtectionRuleSet"',
        "lacks AWSManagedRulesKnownBadInputsRuleSet",
    ),
    "unencrypted-access-log": (
        GATEWAY_MAIN,
        "  kms_key_id        = var.kms_key_arn\n",
        "",
        "not KMS-encrypted",
    ),
}


@pytest.mark.parametrize("defect", list(TF_DEFECTS))
def test_terraform_findings_catch_planted_defects(
    tmp_path: Path, tf_containers: Path, defect: str
) -> None:
    project = tmp_path / "p"
    shutil.copytree(tf_containers / "infra", project / "infra")
    path, old, new, expected = TF_DEFECTS[defect]
    _replace(project / path, old, new)
    assert any(expected in finding for finding in terraform_findings(project))


def test_nlb_inbound_rule_is_caught(tmp_path: Path, tf_containers: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(tf_containers / "infra", project / "infra")
    nlb = project / GATEWAY_NLB
    nlb.write_text(
        nlb.read_text(encoding="utf-8")
        + """
resource "aws_vpc_security_group_ingress_rule" "anyone" {
  security_group_id = aws_security_group.nlb.id
  ip_protocol       = "tcp"
  from_port         = 8000
  to_port           = 8000
  cidr_ipv4         = "0.0.0.0/0"
}
""",
        encoding="utf-8",
    )
    assert any("opens the gateway NLB" in f for f in terraform_findings(project))


def test_kubernetes_has_no_public_ingress_behind_the_gateway(
    tmp_path: Path, tf_kubernetes: Path
) -> None:
    assert terraform_findings(tf_kubernetes) == []
    assert kubernetes_findings(tf_kubernetes) == []
    # Planted: the public Ingress put back next to the gateway.
    project = tmp_path / "p"
    shutil.copytree(tf_kubernetes / "deploy", project / "deploy")
    ingress = project / "deploy/kubernetes/base/serving/ingress.yaml"
    ingress.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: serving\n"
        "spec:\n  defaultBackend:\n    service:\n      name: serving\n      port:\n"
        "        name: http\n",
        encoding="utf-8",
    )
    _replace(
        project / "deploy/kubernetes/base/kustomization.yaml",
        "  - serving/gateway.yaml\n",
        "  - serving/gateway.yaml\n  - serving/ingress.yaml\n",
    )
    assert any("public Ingress" in f for f in kubernetes_findings(project))


def test_cloudformation_gateway_is_the_only_guarded_entry(cfn_containers: Path) -> None:
    assert cloudformation_findings(cfn_containers) == []
    compute = (cfn_containers / "infra/cloudformation/compute-ecs.yaml").read_text("utf-8")
    assert "gateway-target-group-arn" in compute
    assert "APP_API_KEY_HASHES" in compute


CFN_DEFECTS: dict[str, tuple[str, str, str]] = {
    "method-without-key": ("ApiKeyRequired: true", "ApiKeyRequired: false", "API key"),
    "public-nlb": ("Scheme: internal", "Scheme: internet-facing", "internet-facing"),
    "no-rate-rule": ("RateBasedStatement:", "RateLimitedStatement:", "lacks RateBasedStatement"),
}


@pytest.mark.parametrize("defect", list(CFN_DEFECTS))
def test_cloudformation_findings_catch_planted_defects(
    tmp_path: Path, cfn_containers: Path, defect: str
) -> None:
    project = tmp_path / "p"
    (project / CFN_STACK).parent.mkdir(parents=True)
    shutil.copy(cfn_containers / CFN_STACK, project / CFN_STACK)
    old, new, expected = CFN_DEFECTS[defect]
    _replace(project / CFN_STACK, old, new)
    assert any(expected in finding for finding in cloudformation_findings(project))


# ---------------------------------------------------------------- gateway_auth=jwt
# The REST API verifies a Cognito access token (client-credentials grant) with the predict scope
# on every method and still requires the client's API key (its usage plan). The generated
# project's tools/gateway_auth.py (part of `make check`) must pass on the clean render and catch
# each planted defect.
JWT = {"gateway_auth": "jwt"}


@pytest.fixture(scope="module")
def tf_jwt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(
        tmp_path_factory.mktemp("tfj"), iac="terraform", deploy_target="containers", **JWT
    )


@pytest.fixture(scope="module")
def cfn_jwt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(
        tmp_path_factory.mktemp("cfj"),
        iac="cloudformation",
        deploy_target="kubernetes",
        api_style="graphql",
        **JWT,
    )


def gateway_auth_check(project: Path) -> tuple[int, str]:
    """The generated project's own check (tools/gateway_auth.py), run as `make check` runs it."""
    result = subprocess.run(
        [sys.executable, "tools/gateway_auth.py"], cwd=project, capture_output=True, text=True
    )
    return result.returncode, result.stdout + result.stderr


def _cognito(project: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for _, kind, name, body in _terraform(project):
        found[f"{kind}.{name}"] = body
    return found


def _aws_answer(method: dict[str, Any], scopes: set[str], request: dict[str, Any]) -> int:
    """API Gateway's answer before the backend for one request.

    ``request``: ``token`` (None, or the claims of a token signed by the method's user pool,
    with ``scope``) and ``key`` (an API key of a usage plan, or None). 401 without a valid token
    or without a granted scope (COGNITO_USER_POOLS with scopes), 403 without a key.
    """
    if _unquote(method.get("authorization")) == "COGNITO_USER_POOLS":
        token = request.get("token")
        if token is None or token.get("pool") != "clients" or token["exp_in"] <= 0:
            return 401
        if not set(token.get("scope", "").split()) & scopes:
            return 401
    if method.get("api_key_required") is True and not request.get("key"):
        return 403
    return 200


def _method_scopes(resources: dict[str, dict[str, Any]]) -> set[str]:
    """The scopes the method requires, resolved from the resource server they reference."""
    method = resources["aws_api_gateway_method.proxy"]
    reference = str(method.get("authorization_scopes", ""))
    if "aws_cognito_resource_server.api.scope_identifiers" not in reference:
        return set()
    server = resources["aws_cognito_resource_server.api"]
    scopes = server["scope"] if isinstance(server["scope"], list) else [server["scope"]]
    identifier = _unquote(server["identifier"]).replace("${var.name}", "churn-prod")
    return {f"{identifier}/{_unquote(s['scope_name'])}" for s in scopes}


def test_jwt_gateway_keeps_every_api_key_property(tf_jwt: Path) -> None:
    assert terraform_findings(tf_jwt) == []
    assert gateway_auth_check(tf_jwt) == (0, "")


def test_jwt_gateway_refuses_calls_without_a_scoped_token_or_a_key(tf_jwt: Path) -> None:
    resources = _cognito(tf_jwt)
    method = resources["aws_api_gateway_method.proxy"]
    scopes = _method_scopes(resources)
    assert scopes == {"churn-prod/predict"}
    good = {"pool": "clients", "scope": "churn-prod/predict", "exp_in": 300}
    assert _aws_answer(method, scopes, {"token": good, "key": "k"}) == 200
    # The attacks: no token, an expired one, one without the scope, a key alone, a token alone.
    assert _aws_answer(method, scopes, {"token": None, "key": "k"}) == 401
    assert _aws_answer(method, scopes, {"token": {**good, "exp_in": 0}, "key": "k"}) == 401
    assert _aws_answer(method, scopes, {"token": {**good, "scope": "other/x"}, "key": "k"}) == 401
    assert _aws_answer(method, scopes, {"token": good, "key": None}) == 403
    authorizer = resources["aws_api_gateway_authorizer.cognito"]
    assert _unquote(authorizer["type"]) == "COGNITO_USER_POOLS"
    assert "aws_cognito_user_pool.clients.arn" in str(authorizer["provider_arns"])


def test_jwt_clients_use_client_credentials_and_no_secret_is_output(tf_jwt: Path) -> None:
    resources = _cognito(tf_jwt)
    client = resources["aws_cognito_user_pool_client.client"]
    assert [_unquote(f) for f in client["allowed_oauth_flows"]] == ["client_credentials"]
    assert client["generate_secret"] is True
    assert client["for_each"] == "${var.clients}", "one app client per API key client"
    pool = resources["aws_cognito_user_pool.clients"]
    admin = pool["admin_create_user_config"]
    admin = admin[0] if isinstance(admin, list) else admin
    assert admin["allow_admin_create_user_only"] is True, "self sign-up"
    assert "var.deletion_protection" in str(pool["deletion_protection"])
    outputs = "\n".join(p.read_text("utf-8") for p in (tf_jwt / "infra").rglob("outputs.tf"))
    assert "client_secret" not in outputs
    assert "module.api_gateway.token_url" in outputs
    waf = (tf_jwt / WAF_MAIN).read_text(encoding="utf-8")
    assert 'name = "authorization"' in waf, "bearer tokens would be written to the WAF log"


TF_JWT_DEFECTS: dict[str, tuple[str, str, str]] = {
    "method-without-authorizer": (
        'authorization        = "COGNITO_USER_POOLS"',
        'authorization        = "NONE"',
        "not COGNITO_USER_POOLS",
    ),
    "missing-scope": (
        "  authorization_scopes = aws_cognito_resource_server.api.scope_identifiers\n",
        "",
        "requires no scope",
    ),
    "method-without-key": (
        "api_key_required     = true",
        "api_key_required     = false",
        "does not require an API key",
    ),
}


@pytest.mark.parametrize("defect", list(TF_JWT_DEFECTS))
def test_jwt_terraform_defects_fail_the_generated_check(
    tmp_path: Path, tf_jwt: Path, defect: str
) -> None:
    project = tmp_path / "p"
    shutil.copytree(tf_jwt / "infra", project / "infra")
    shutil.copytree(tf_jwt / "tools", project / "tools")
    old, new, expected = TF_JWT_DEFECTS[defect]
    _replace(project / GATEWAY_MAIN, old, new)
    status, output = gateway_auth_check(project)
    assert status == 1 and expected in output, output


def test_jwt_secret_in_an_output_fails_the_generated_check(tmp_path: Path, tf_jwt: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(tf_jwt / "infra", project / "infra")
    shutil.copytree(tf_jwt / "tools", project / "tools")
    outputs = project / TF_MODULES / "api_gateway/outputs.tf"
    outputs.write_text(
        outputs.read_text(encoding="utf-8")
        + '\noutput "secrets" {\n  value     = { for c, app in aws_cognito_user_pool_client.client'
        " : c => app.client_secret }\n  sensitive = true\n}\n",
        encoding="utf-8",
    )
    status, output = gateway_auth_check(project)
    assert status == 1 and "publishes a client secret" in output, output


def test_jwt_cloudformation_gateway(cfn_jwt: Path) -> None:
    assert cloudformation_findings(cfn_jwt) == []
    assert gateway_auth_check(cfn_jwt) == (0, "")
    template = yaml.safe_load((cfn_jwt / CFN_STACK).read_text(encoding="utf-8"))
    method = template["Resources"]["ProxyMethod"]["Properties"]
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert method["AuthorizationScopes"] == [{"Fn::Sub": "${Project}-${Environment}/predict"}]
    client = template["Resources"]["ClientApp"]["Properties"]
    assert client["AllowedOAuthScopes"] == method["AuthorizationScopes"]
    assert "ClientSecret" not in str(template["Outputs"])


CFN_JWT_DEFECTS: dict[str, tuple[str, str, str]] = {
    "method-without-authorizer": (
        "AuthorizationType: COGNITO_USER_POOLS",
        "AuthorizationType: NONE",
        "not COGNITO_USER_POOLS",
    ),
    "missing-scope": (
        "      AuthorizationScopes:\n        - Fn::Sub: ${Project}-${Environment}/predict\n",
        "",
        "requires no scope",
    ),
}


@pytest.mark.parametrize("defect", list(CFN_JWT_DEFECTS))
def test_jwt_cloudformation_defects_fail_the_generated_check(
    tmp_path: Path, cfn_jwt: Path, defect: str
) -> None:
    project = tmp_path / "p"
    (project / CFN_STACK).parent.mkdir(parents=True)
    shutil.copy(cfn_jwt / CFN_STACK, project / CFN_STACK)
    shutil.copytree(cfn_jwt / "tools", project / "tools")
    old, new, expected = CFN_JWT_DEFECTS[defect]
    _replace(project / CFN_STACK, old, new)
    status, output = gateway_auth_check(project)
    assert status == 1 and expected in output, output


@pytest.mark.parametrize("iac", ["terraform", "cloudformation"])
def test_make_check_runs_the_gateway_auth_check(tf_jwt: Path, cfn_jwt: Path, iac: str) -> None:
    project = tf_jwt if iac == "terraform" else cfn_jwt
    listed = subprocess.run(
        [sys.executable, "tools/check.py", "--list"], cwd=project, capture_output=True, text=True
    )
    assert "gateway-auth" in listed.stdout, listed.stdout + listed.stderr


def test_make_check_fails_on_a_method_without_a_token(tmp_path: Path, tf_jwt: Path) -> None:
    """End to end through tools/check.py (what `make check` runs), with the pinned python-hcl2."""
    require("uv")
    project = tmp_path / "p"
    shutil.copytree(tf_jwt, project)
    command = [sys.executable, "tools/check.py", "--only", "gateway-auth"]
    clean = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _replace(
        project / GATEWAY_MAIN,
        'authorization        = "COGNITO_USER_POOLS"',
        'authorization        = "NONE"',
    )
    broken = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert broken.returncode != 0
    assert "not COGNITO_USER_POOLS" in broken.stdout + broken.stderr
