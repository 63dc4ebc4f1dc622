"""Least privilege on the cloud lake, tried as an attacker holding one workload's identity.

Each cloud variant is rendered and its workload IAM for the data lake (Terraform parsed with
python-hcl2, CloudFormation as YAML) is evaluated for concrete object keys: a service may read
and write what the pipeline needs and nothing else (ingestion cannot read features, serving
cannot write raw, ...). The Kubernetes manifests must not give any workload a lake volume.

The Terraform expressions are evaluated by a deliberately small evaluator that knows the
shapes the modules use; a module rewritten into another shape fails here with "unsupported
expression" instead of passing unchecked.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is needed to parse Terraform")

SERVICES = ("ingestion", "features", "training", "serving", "monitoring")
DAY = "ingestion_date=2026-01-01"
# Object keys the services touch (contracts.Settings layout under APP_LAKE_URI = <root>/lake
# and APP_REPORTS_URI = <root>/reports), relative to the bucket or container root.
RAW = f"lake/raw/customers/{DAY}/part-0000.parquet"
RAW_MANIFEST = f"lake/raw/customers/{DAY}/_manifest.json"
FEATURES = f"lake/features/customers/{DAY}/features.parquet"
QUARANTINE = f"lake/quarantine/customers/{DAY}/rejected.parquet"
REFERENCE = "lake/reference/customers/features.parquet"
LINEAGE = "lake/lineage/019ad1c2-3b4c-7d5e-8f60-718293a4b5c6.jsonl"
REPORT = "reports/drift/drift_report.json"
MODEL = "mlflow/artifacts/1/model/model.skops"

# What the pipeline needs: (service, "read" | "write", key).
NEEDED = [
    ("ingestion", "write", RAW),
    ("ingestion", "write", RAW_MANIFEST),
    ("ingestion", "write", LINEAGE),
    ("features", "read", RAW),
    ("features", "read", RAW_MANIFEST),
    ("features", "write", FEATURES),
    ("features", "write", QUARANTINE),
    ("features", "write", LINEAGE),
    ("training", "read", FEATURES),
    # Training proves the features were built from the current raw batch (its manifest digest).
    ("training", "read", RAW_MANIFEST),
    ("training", "write", REFERENCE),
    ("training", "write", LINEAGE),
    ("monitoring", "read", FEATURES),
    ("monitoring", "read", REFERENCE),
    ("monitoring", "write", REPORT),
    ("monitoring", "write", LINEAGE),
]
# What a compromised workload must not do with its own identity.
ATTACKS = [
    ("ingestion", "read", FEATURES),
    ("ingestion", "read", REFERENCE),
    ("ingestion", "write", FEATURES),
    ("features", "write", RAW),
    ("features", "write", RAW_MANIFEST),
    ("features", "write", REFERENCE),
    ("training", "write", RAW),
    ("training", "write", FEATURES),
    ("training", "read", QUARANTINE),
    ("serving", "read", RAW),
    ("serving", "read", FEATURES),
    ("serving", "write", RAW),
    ("serving", "write", REFERENCE),
    ("serving", "write", MODEL),
    ("monitoring", "write", FEATURES),
    ("monitoring", "write", REFERENCE),
    ("monitoring", "read", RAW),
    ("monitoring", "write", MODEL),
]

Check = Callable[[str, str, str], bool]


def _render(tmp_path_factory: pytest.TempPathFactory, **answers: str) -> Path:
    name = "-".join(answers.values())
    return create_project(tmp_path_factory.mktemp(name) / "p", answers).destination


def _assert_least_privilege(allowed: Check) -> None:
    missing = [case for case in NEEDED if not allowed(*case)]
    assert not missing, f"the pipeline would be denied: {missing}"
    breaches = [case for case in ATTACKS if allowed(*case)]
    assert not breaches, f"a compromised workload could: {breaches}"


# ---------------------------------------------------------------- a tiny HCL evaluator
def _text(value: Any) -> str:
    """python-hcl2 keeps string literals quoted and expressions in ${...}."""
    assert isinstance(value, str), value
    if value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _block(parsed: dict[str, Any], kind: str, type_: str, name: str) -> dict[str, Any]:
    for entry in parsed.get(kind, []):
        body = entry.get(f'"{type_}"', {}).get(f'"{name}"')
        if body is not None:
            return dict(body)
    raise AssertionError(f"no {kind} {type_}.{name}")


def _substitute(template: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        reference = match.group(1)
        if reference not in values:
            raise AssertionError(f"unsupported reference ${{{reference}}} in {template!r}")
        return values[reference]

    return re.sub(r"\$\{([^}]+)\}", one, template)


FOR_EXPR = re.compile(r'^\[for prefix in (?P<source>[^:]+) : "(?P<template>.*)"\]$')


def _evaluate_for(
    expression: str, sources: dict[str, list[str]], values: dict[str, str]
) -> list[str]:
    """``[for prefix in SOURCE : "TEMPLATE"]`` with SOURCE one of ``sources``."""
    match = FOR_EXPR.match(expression)
    if match is None or match.group("source").strip() not in sources:
        raise AssertionError(f"unsupported expression {expression!r}")
    template = match.group("template").replace('\\"', '"')
    return [
        _substitute(template, {**values, "prefix": prefix})
        for prefix in sources[match.group("source").strip()]
    ]


def _unwrap(expression: str) -> str:
    assert expression.startswith("${") and expression.endswith("}"), expression
    return expression[2:-1]


def _lake_access(main_tf: Path, local_name: str) -> dict[str, dict[str, list[str]]]:
    parsed = hcl2.load(main_tf.open())
    for block in parsed["locals"]:
        if local_name in block:
            table = block[local_name]
            return {
                service: {
                    mode: [_text(p) for p in table[service][mode]] for mode in ("read", "write")
                }
                for service in SERVICES
            }
    raise AssertionError(f"no local.{local_name} in {main_tf}")


# ---------------------------------------------------------------- AWS (Terraform)
@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_aws_terraform_workload_policies_grant_only_their_prefixes(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    project = _render(tmp_path_factory, cloud="aws", iac="terraform", deploy_target=deploy_target)
    infra = project / "infra" / "terraform"
    main = hcl2.load((infra / "envs" / "dev" / "main.tf").open())
    iam = next(m['"iam"'] for m in main["module"] if '"iam"' in m)
    assert iam["lake_access"] == "${local.lake_access}", "the module must get the table"
    table = _lake_access(infra / "envs" / "dev" / "main.tf", "lake_access")

    document = _block(
        hcl2.load((infra / "modules" / "iam" / "workloads.tf").open()),
        "data",
        "aws_iam_policy_document",
        "workload",
    )
    statements = list(document.get("statement", []))
    for dynamic in document.get("dynamic", []):
        statements += dynamic['"statement"']["content"]
    bucket = "arn:aws:s3:::lake-bucket"

    def policy(service: str) -> list[tuple[list[str], list[str]]]:
        access = table[service]
        key = "var.lake_access[each.key]"
        sources = {
            f"{key}.read": access["read"],
            f"{key}.write": access["write"],
            f"concat({key}.read, {key}.write)": access["read"] + access["write"],
        }
        granted = []
        for statement in statements:
            actions = statement["actions"]
            if not isinstance(actions, list):
                continue  # the KMS statement's conditional action list; not S3
            actions = [_text(action) for action in actions]
            if not any(action.startswith("s3:") for action in actions):
                continue
            resources = statement["resources"]
            if isinstance(resources, list):
                values = [_substitute(r, {"var.data_lake_bucket_arn": bucket}) for r in resources]
            else:
                values = _evaluate_for(
                    _unwrap(resources), sources, {"var.data_lake_bucket_arn": bucket}
                )
            assert "*" not in values, f"{statement.get('sid')}: S3 on every resource"
            granted.append((actions, values))
        return granted

    def allowed(service: str, mode: str, key: str) -> bool:
        wanted = "s3:GetObject" if mode == "read" else "s3:PutObject"
        return any(
            any(fnmatch.fnmatchcase(wanted, a) for a in actions)
            and any(fnmatch.fnmatchcase(f"{bucket}/{key}", r) for r in resources)
            for actions, resources in policy(service)
        )

    _assert_least_privilege(allowed)


# ---------------------------------------------------------------- AWS (CloudFormation)
def _cfn_sub(value: Any, bucket: str) -> str:
    if isinstance(value, str):
        return value
    sub = value.get("Fn::Sub")
    if isinstance(sub, list):  # [template, {Bucket: import of the bucket ARN}]
        return sub[0].replace("${Bucket}", bucket)
    raise AssertionError(f"unsupported resource {value!r}")


@pytest.mark.parametrize("deploy_target", ["containers", "kubernetes"])
def test_aws_cloudformation_workload_policies_grant_only_their_prefixes(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    project = _render(
        tmp_path_factory, cloud="aws", iac="cloudformation", deploy_target=deploy_target
    )
    # The templates use the long Fn:: form, so a plain YAML parser reads them.
    template = yaml.safe_load((project / "infra" / "cloudformation" / "iam.yaml").read_text())
    bucket = "arn:aws:s3:::lake-bucket"
    roles = {
        name.removesuffix("Role").lower(): resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and name.removesuffix("Role").lower() in SERVICES
    }
    assert set(roles) == set(SERVICES), sorted(roles)

    def allowed(service: str, mode: str, key: str) -> bool:
        wanted = "s3:GetObject" if mode == "read" else "s3:PutObject"
        for policy in roles[service]["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                actions = [actions] if isinstance(actions, str) else actions
                resources = statement["Resource"]
                resources = resources if isinstance(resources, list) else [resources]
                if statement.get("Effect") == "Allow" and any(
                    fnmatch.fnmatchcase(wanted, a) for a in actions
                ):
                    patterns = [_cfn_sub(r, bucket) for r in resources]
                    assert "*" not in patterns, f"{service}: S3 on every resource"
                    if any(fnmatch.fnmatchcase(f"{bucket}/{key}", p) for p in patterns):
                        return True
        return False

    _assert_least_privilege(allowed)


# ---------------------------------------------------------------- Google Cloud
def _cel_allows(expression: str, resource_name: str) -> bool:
    """The two CEL forms the module writes: startsWith alternatives, or a resource type."""
    if expression == 'resource.type == "storage.googleapis.com/Bucket"':
        return False  # bucket-level permissions (listing) never match an object
    alternatives = expression.split(" || ")
    prefixes = []
    for alternative in alternatives:
        match = re.fullmatch(r'resource\.name\.startsWith\("([^"]+)"\)', alternative)
        if match is None:
            raise AssertionError(f"unsupported condition {expression!r}")
        prefixes.append(match.group(1))
    return any(resource_name.startswith(prefix) for prefix in prefixes)


@pytest.mark.parametrize("deploy_target", ["containers", "kubernetes"])
def test_gcp_workload_bindings_grant_only_their_prefixes(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    project = _render(tmp_path_factory, cloud="gcp", iac="terraform", deploy_target=deploy_target)
    infra = project / "infra" / "terraform"
    table = _lake_access(infra / "envs" / "dev" / "main.tf", "services")
    iam = hcl2.load((infra / "modules" / "iam" / "main.tf").open())
    bindings = {
        _text(name): body
        for entry in iam["resource"]
        for name, body in entry.get('"google_storage_bucket_iam_member"', {}).items()
        if body["bucket"] == "${var.data_lake_bucket}"
    }
    assert set(bindings) == {"lake_list", "lake_read", "lake_write"}, sorted(bindings)
    for name, body in bindings.items():
        assert body.get("condition"), f"{name}: an unconditional role on the whole lake"
    local_values = next(b for b in iam["locals"] if "lake_objects" in b)
    assert local_values["lake_read"] == (
        "${{for name, spec in var.services : name => distinct(concat(spec.read, spec.write))"
        " if length(concat(spec.read, spec.write)) > 0}}"
    )
    assert local_values["lake_write"] == (
        "${{for name, spec in var.services : name => spec.write if length(spec.write) > 0}}"
    )
    assert bindings["lake_list"]["for_each"] == (
        "${{for name, spec in var.services : name => spec"
        " if length(concat(spec.read, spec.write)) > 0}}"
    )
    objects = "projects/_/buckets/lake-bucket/objects/"
    roles = {"roles/storage.objectViewer": {"read"}, "roles/storage.objectUser": {"read", "write"}}

    def expression(binding: str, prefixes: list[str]) -> str:
        raw = bindings[binding]["condition"][0]["expression"]
        if binding == "lake_list":
            return _text(raw).replace('\\"', '"')
        text = _unwrap(raw)
        match = re.fullmatch(r'join\(" \|\| ", (?P<for>\[.*\])\)', text)
        assert match is not None, f"unsupported expression {text!r}"
        parts = _evaluate_for(
            match.group("for"), {"each.value": prefixes}, {"local.lake_objects": objects}
        )
        return " || ".join(parts)

    def allowed(service: str, mode: str, key: str) -> bool:
        access = table[service]
        members = {
            # Listing too only for services with a prefix (not one added without any).
            "lake_list": [s for s in SERVICES if table[s]["read"] + table[s]["write"]],
            "lake_read": [s for s in SERVICES if table[s]["read"] + table[s]["write"]],
            "lake_write": [s for s in SERVICES if table[s]["write"]],
        }
        prefixes = {
            "lake_list": [],
            "lake_read": list(dict.fromkeys(access["read"] + access["write"])),
            "lake_write": access["write"],
        }
        return any(
            service in members[binding]
            and mode in roles[_text(body["role"])]
            and _cel_allows(expression(binding, prefixes[binding]), objects + key)
            for binding, body in bindings.items()
        )

    _assert_least_privilege(allowed)


# ---------------------------------------------------------------- Azure
BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
ROLE_ACTIONS = {
    "Storage Blob Data Reader": {"read"},
    "Storage Blob Data Contributor": {"read", "write", "add/action", "delete", "move/action"},
}


def _abac_allows(condition: str, action: str, path: str) -> bool:
    """The module's condition form: (no gated action) OR (path starts with a prefix)."""
    gated = re.findall(r"ActionMatches\{'" + re.escape(BLOB) + r"/([^']+)'\}", condition)
    prefixes = re.findall(r"blobs:path\] StringStartsWith '([^']+)'", condition)
    assert gated and prefixes, f"unsupported condition {condition!r}"
    return action not in gated or any(path.startswith(prefix) for prefix in prefixes)


@pytest.mark.parametrize("deploy_target", ["kubernetes", "containers"])
def test_azure_role_assignments_grant_only_their_prefixes(
    tmp_path_factory: pytest.TempPathFactory, deploy_target: str
) -> None:
    project = _render(tmp_path_factory, cloud="azure", iac="terraform", deploy_target=deploy_target)
    infra = project / "infra" / "terraform"
    table = _lake_access(infra / "envs" / "dev" / "main.tf", "lake_access")
    iam = hcl2.load((infra / "modules" / "iam" / "main.tf").open())
    assignments = {
        _text(name): body
        for entry in iam["resource"]
        for name, body in entry.get('"azurerm_role_assignment"', {}).items()
        if body["scope"] == "${var.data_lake_container_id}"
    }
    assert set(assignments) == {"data_lake", "data_lake_write"}, sorted(assignments)
    local_values = next(b for b in iam["locals"] if "blob_path" in b)

    def condition(name: str, prefixes: list[str]) -> str:
        body = assignments[name]
        assert _text(body["condition_version"]) == "2.0", f"{name}: no ABAC condition"
        text = _text(body["condition"])
        join = re.search(r'\$\{join\("[^"]*", (?P<for>\[for .*?\])\)\}', text, re.S)
        assert join is not None, f"unsupported condition {text!r}"
        clauses = _evaluate_for(
            join.group("for").replace("\\'", "'"),
            {"each.value": prefixes},
            {"local.blob_path": _text(local_values["blob_path"])},
        )
        text = text[: join.start()] + " OR ".join(clauses) + text[join.end() :]
        return _substitute(text, {"local.blob_action": _text(local_values["blob_action"])})

    def allowed(service: str, mode: str, key: str) -> bool:
        access = table[service]
        prefixes = {
            "data_lake": list(dict.fromkeys(access["read"] + access["write"])),
            "data_lake_write": access["write"],
        }
        action = "read" if mode == "read" else "write"
        for name, body in assignments.items():
            if name == "data_lake_write" and not access["write"]:
                continue
            role = _text(body["role_definition_name"])
            if action in ROLE_ACTIONS[role] and _abac_allows(
                condition(name, prefixes[name]), action, key
            ):
                return True
        return False

    _assert_least_privilege(allowed)


# ---------------------------------------------------------------- Kubernetes
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_no_workload_mounts_the_lake_and_jobs_get_its_uri(
    tmp_path_factory: pytest.TempPathFactory, cloud: str
) -> None:
    project = _render(tmp_path_factory, cloud=cloud, iac="terraform", deploy_target="kubernetes")
    base = project / "deploy" / "kubernetes" / "base"
    assert not (base / "lake-pvc.yaml").exists()
    for path in sorted(base.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not isinstance(document, dict) or document.get("kind") not in (
                "CronJob",
                "Deployment",
            ):
                continue
            spec = document["spec"]
            pod = (spec["jobTemplate"]["spec"] if document["kind"] == "CronJob" else spec)[
                "template"
            ]["spec"]
            claims = [
                volume["persistentVolumeClaim"]["claimName"]
                for volume in pod.get("volumes", [])
                if "persistentVolumeClaim" in volume
            ]
            name = document["metadata"]["name"]
            # Only the tracking server keeps a volume (its own database and artifacts).
            assert claims == (["mlflow"] if name == "mlflow" else []), f"{path.name}: {claims}"
            for container in pod["containers"]:
                mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
                assert "/app/data" not in mounts, f"{name} mounts the lake"
    settings = dict(
        line.split("=", 1)
        for line in (base / "app.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["APP_LAKE_URI"] == settings["APP_REPORTS_URI"] == "set-by-rollout"
    for env in ("dev", "prod"):
        overlay = project / "deploy" / "kubernetes" / "overlays" / env
        params = (overlay / "params.env").read_text()
        assert "lake_uri=set-by-rollout" in params and "reports_uri=set-by-rollout" in params
        replacements = yaml.safe_load((overlay / "kustomization.yaml").read_text())["replacements"]
        copied = {
            r["source"]["fieldPath"]: r["targets"][0]["fieldPaths"][0]
            for r in replacements
            if r["targets"][0]["select"].get("name") == "app-config"
        }
        assert copied == {
            "data.lake_uri": "data.APP_LAKE_URI",
            "data.reports_uri": "data.APP_REPORTS_URI",
        }
        assert not (overlay / "patches" / "lake-size.yaml").exists()
    outputs = (project / "infra" / "terraform" / "envs" / "dev" / "outputs.tf").read_text()
    assert 'output "data_lake_uri"' in outputs and 'output "reports_uri"' in outputs
