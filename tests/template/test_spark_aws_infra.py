"""Issue 12, processing=spark on AWS: the features job as an AWS Glue 5.0 job (generated
docs/adr/0024-managed-spark.md), under Terraform (modules/glue_spark) and CloudFormation (the
spark stack; with Kubeflow, the run's IRSA role in the iam stack).

Renders AWS with each IaC on both deploy targets and reads the infrastructure (python-hcl2,
YAML with CloudFormation's intrinsic functions evaluated): the job role's policy is replayed as
requests (the features service's lake
prefixes allowed, every other prefix, secret and key refused) and is trusted by this account's
Glue only; the security configuration encrypts S3, CloudWatch logs and bookmarks with the
project's keys; the job runs in a private subnet through a NETWORK connection, bounded, and
installs its wheels from S3 only (pip --no-index --no-deps). scripts/deploy/glue_job.py, the
script behind `make spark-run`, runs against a fake Glue and S3 (its own logic: what it
uploads, starts, polls, stops and prints). checkov runs on one render as generated (it must
pass) and on the module with the job's log encryption turned off (it must fail).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aiarch_scaffold.generate import create_project
from tests.template.infra import (
    hcl_blocks,
    load_hcl,
    project_checks,
    spark_projects,
    sync_dags_recorded,
)
from tests.template.rendered import (
    assert_clean_output,
    assert_only_chosen_files,
    missing_named_tests,
)
from tests.tools import require

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

ACCOUNT = "123456789012"
REGION = "eu-west-1"
LAKE = f"arn:aws:s3:::acme-dev-data-lake-{ACCOUNT}"
ARTIFACTS = f"arn:aws:s3:::acme-dev-glue-artifacts-{ACCOUNT}"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:acme-dev/"
KEY_SECRET = f"{SECRET}pseudonymisation_key-AbC123"
API_KEY_SECRET = f"{SECRET}api_key-XyZ789"
KEYS = {name: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}" for name in ("lake", "secrets", "logs")}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return spark_projects(tmp_path_factory, "aws")


@pytest.fixture(scope="module")
def cfn_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return spark_projects(tmp_path_factory, "aws", iac="cloudformation")


def _module(project: Path) -> Path:
    return project / "infra/terraform/modules/glue_spark"


def _env(project: Path) -> Path:
    return project / "infra/terraform/envs/dev"


def _spark_call(project: Path) -> dict[str, Any]:
    return next(m["spark"] for m in load_hcl(_env(project) / "main.tf")["module"] if "spark" in m)


def test_renders_clean(projects: dict[str, Path]) -> None:
    for target, project in projects.items():
        assert_clean_output(project)
        assert_only_chosen_files(
            project,
            {"cloud": "aws", "iac": "terraform", "deploy_target": target, "processing": "spark"},
        )
        assert "spark-run:" in (project / "Makefile").read_text()
        adr = (project / "docs/adr/0024-managed-spark.md").read_text()
        assert adr.startswith("# 24. Managed Spark of the features job: AWS Glue")
        assert "Serverless for Apache Spark batch**" not in adr, "Google Cloud's decision"
        assert "aws-glue-programming-python-libraries.html" in adr, "the evidence it rests on"
        security = (project / "docs/security.md").read_text()
        assert "| CKV2_AWS_5 | `modules/glue_spark` security group |" in security
        assert "test_the_job_role_reaches_the_features_prefixes_only" in security
        assert missing_named_tests(project) == []
        assert "make spark-run ENV=dev" in (project / "docs/deploy.md").read_text()


def test_no_glue_job_without_spark(tmp_path: Path) -> None:
    project = create_project(tmp_path / "p", {"cloud": "aws"}).destination
    assert not _module(project).exists()
    assert not (project / "services/features/glue").exists()
    assert "glue" not in (_env(project) / "main.tf").read_text()
    assert "spark" not in (project / "scripts/deploy.sh").read_text()
    privacy = (project / "packages/contracts/src/contracts/privacy.py").read_text()
    assert "secret_manager" not in privacy


def _features_prefixes(project: Path) -> dict[str, list[str]]:
    """The features service's lake prefixes, as the root module passes them to the module."""
    text = (_env(project) / "main.tf").read_text()
    line = re.search(r"^\s+features\s+= \{ read = (\[.*?\]), write = (\[.*?\]) \}$", text, re.M)
    assert line is not None, "local.lake_access has a features entry"
    read, write = (re.findall(r'"([^"]+)"', part) for part in line.groups())
    call = _spark_call(project)
    assert call["lake_read_prefixes"] == '${local.lake_access["features"].read}'
    assert call["lake_write_prefixes"] == '${local.lake_access["features"].write}'
    assert call["pseudonymisation_key_secret_arn"] == (
        '${module.secrets.secret_arns["pseudonymisation_key"]}'  # noqa: S105 - a reference
    )
    return {"read": read, "write": write}


def _values(project: Path) -> dict[str, str | list[str]]:
    prefixes = _features_prefixes(project)
    return {
        "var.data_lake_bucket_arn": LAKE,
        "module.artifacts.arn": ARTIFACTS,
        "var.data_lake_kms_key_arn": KEYS["lake"],
        "var.secrets_kms_key_arn": KEYS["secrets"],
        "var.logs_kms_key_arn": KEYS["logs"],
        "var.pseudonymisation_key_secret_arn": KEY_SECRET,
        "var.vpc_id": "vpc-1",
        "data.aws_subnet.job.arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-1",
        "aws_security_group.this.arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1",
        "aws_glue_connection.network.name": "acme-dev-build-features-network",
        "local.partition": "aws",
        "local.region": REGION,
        "local.account_id": ACCOUNT,
        "local.log_groups": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/jobs/*",
        "local.prefixes": prefixes["read"] + prefixes["write"],
        "var.lake_write_prefixes": prefixes["write"],
    }


def _expand(value: Any, values: dict[str, str | list[str]]) -> list[str]:
    """Terraform expressions of a policy document as the strings they evaluate to."""
    items = value if isinstance(value, list) else [value]
    expanded: list[str] = []
    for item in items:
        loop = re.fullmatch(r'\$\{\[for prefix in ([\w.]+) : "(.*)"\]\}', item)
        if loop:
            source = values[loop[1]]
            assert isinstance(source, list)
            expanded += [
                _expand(loop[2].replace("${prefix}", prefix), values)[0] for prefix in source
            ]
            continue

        def substitute(match: re.Match[str]) -> str:
            found = values[match[1]]
            assert isinstance(found, str), match[1]
            return found

        expanded.append(re.sub(r"\$\{([\w.\[\]\"]+)\}", substitute, item))
    return expanded


def _statements(project: Path) -> list[dict[str, Any]]:
    document = hcl_blocks(_module(project) / "main.tf", "data")[("aws_iam_policy_document", "job")]
    values = _values(project)
    statements = []
    for statement in document["statement"]:
        assert statement.get("effect", "Allow") == "Allow"
        conditions = {
            (c["test"], c["variable"]): _expand(c["values"], values)
            for c in statement.get("condition", [])
        }
        statements.append(
            {
                "sid": statement["sid"],
                "actions": statement["actions"],
                "resources": _expand(statement["resources"], values),
                "conditions": conditions,
            }
        )
    return statements


def _allowed(statements: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    """IAM's evaluation of the role's one policy (allow statements, their conditions)."""
    for statement in statements:
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in statement["actions"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement["resources"]):
            continue
        met = True
        for (test, variable), patterns in statement["conditions"].items():
            given = context.get(variable)
            if given is None:
                met = False
            elif test == "StringLike":
                met = met and any(fnmatch.fnmatchcase(given, p) for p in patterns)
            else:
                assert test == "StringEquals", test
                met = met and given in patterns
        if met:
            return True
    return False


def _stack(project: Path) -> dict[str, Any]:
    import yaml

    document: dict[str, Any] = yaml.safe_load(
        (project / "infra/cloudformation/spark.yaml").read_text()
    )
    return document


# What the spark stack's references evaluate to in account ACCOUNT, REGION, for project acme
# in dev: the other stacks' exports by name, its own resources by logical id.
CFN_NAMES: dict[str, Any] = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "Project": "acme",
    "Environment": "dev",
    "ArtifactsBucket": "acme-dev-123456789012-glue",
    "ArtifactsBucket.Arn": ARTIFACTS,
    "JobSecurityGroup": "sg-1",
    "JobSecurityGroup.GroupId": "sg-1",
    "NetworkConnection": "acme-dev-build-features-network",
    "FeaturesJob": "acme-dev-build-features",
    "export:acme-dev-data-lake-bucket": "acme-dev-123456789012-lake",
    "export:acme-dev-data-lake-bucket-arn": LAKE,
    "export:acme-dev-data-lake-key-arn": KEYS["lake"],
    "export:acme-dev-secrets-key-arn": KEYS["secrets"],
    "export:acme-dev-logs-key-arn": KEYS["logs"],
    "export:acme-dev-pseudonymisation-key-secret-arn": KEY_SECRET,
    "export:acme-dev-vpc-id": "vpc-1",
    "export:acme-dev-private-subnet-ids": "subnet-1,subnet-2,subnet-3",
}


def _cfn(value: Any, names: dict[str, Any] = CFN_NAMES) -> Any:
    """A CloudFormation value with its intrinsic functions evaluated (those the stack uses)."""
    if isinstance(value, list):
        return [_cfn(item, names) for item in value]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((function, argument),) = value.items()
    if function == "Ref":
        return names[argument]
    if function == "Fn::GetAtt":
        return names[argument if isinstance(argument, str) else ".".join(argument)]
    if function == "Fn::ImportValue":
        return names[f"export:{_cfn(argument, names)}"]
    if function == "Fn::Select":
        return _cfn(argument[1], names)[int(argument[0])]
    if function == "Fn::Split":
        return _cfn(argument[1], names).split(argument[0])
    if function == "Fn::GetAZs":
        return [f"{REGION}{zone}" for zone in "abc"]
    if function == "Fn::Sub":
        text, local = (argument, {}) if isinstance(argument, str) else argument
        scope = {**names, **{key: _cfn(item, names) for key, item in local.items()}}
        return re.sub(r"\$\{([\w:.]+)\}", lambda match: str(scope[match[1]]), text)
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _cfn_statements(project: Path) -> list[dict[str, Any]]:
    """The job role's one policy in the spark stack, evaluated (as _statements reads Terraform)."""
    role = _stack(project)["Resources"]["JobRole"]["Properties"]
    (policy,) = role["Policies"]
    statements = []
    for statement in policy["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        conditions = {
            (test, variable): [str(item) for item in _as_list(_cfn(values))]
            for test, pairs in statement.get("Condition", {}).items()
            for variable, values in pairs.items()
        }
        statements.append(
            {
                "sid": statement["Sid"],
                "actions": _as_list(statement["Action"]),
                "resources": [str(_cfn(item)) for item in _as_list(statement["Resource"])],
                "conditions": conditions,
            }
        )
    return statements


def _policies(
    projects: dict[str, Path], cfn_projects: dict[str, Path]
) -> list[list[dict[str, Any]]]:
    """The job role's policy of every render, Terraform and CloudFormation."""
    return [_statements(p) for p in projects.values()] + [
        _cfn_statements(p) for p in cfn_projects.values()
    ]


def test_the_job_role_reaches_the_features_prefixes_only(
    projects: dict[str, Path], cfn_projects: dict[str, Path]
) -> None:
    for policy in _policies(projects, cfn_projects):
        raw = f"{LAKE}/lake/raw/customers/ingestion_date=2026-01-15/part-0.parquet"
        # What the job does.
        assert _allowed(policy, "s3:GetObject", raw)
        assert _allowed(policy, "s3:PutObject", f"{LAKE}/lake/features/dt=2026-01-15/f.parquet")
        assert _allowed(policy, "s3:PutObject", f"{LAKE}/lake/quarantine/dt=2026-01-15/q.parquet")
        assert _allowed(policy, "s3:ListBucket", LAKE, **{"s3:prefix": "lake/raw/customers/"})
        assert _allowed(policy, "s3:GetObject", f"{ARTIFACTS}/code/abc123/x-0.1.0-py3-none-any.whl")
        assert _allowed(policy, "s3:PutObject", f"{ARTIFACTS}/tmp/spark/part-0")  # noqa: S108
        # What a job turned hostile would try next.
        assert not _allowed(policy, "s3:PutObject", raw)
        assert not _allowed(policy, "s3:DeleteObject", raw)
        assert not _allowed(policy, "s3:GetObject", f"{LAKE}/mlflow/models/m/model.onnx")
        assert not _allowed(policy, "s3:GetObject", f"{LAKE}/lake/reference/c/features.parquet")
        assert not _allowed(policy, "s3:PutObject", f"{LAKE}/reports/drift.html")
        assert not _allowed(policy, "s3:PutObject", f"{LAKE}/lake/audit/erasure/x.json")
        assert not _allowed(policy, "s3:ListBucket", LAKE, **{"s3:prefix": "mlflow/"})
        assert not _allowed(policy, "s3:ListBucket", LAKE)
        # Its own code is read-only to it: a run cannot replace the next run's script.
        assert not _allowed(policy, "s3:PutObject", f"{ARTIFACTS}/code/build_features.py")


def test_the_job_role_holds_nothing_else(
    projects: dict[str, Path], cfn_projects: dict[str, Path]
) -> None:
    for policy in _policies(projects, cfn_projects):
        assert _allowed(policy, "secretsmanager:GetSecretValue", KEY_SECRET)
        assert not _allowed(policy, "secretsmanager:GetSecretValue", API_KEY_SECRET)
        assert not _allowed(policy, "secretsmanager:ListSecrets", "*")
        via = "kms:ViaService"
        assert _allowed(policy, "kms:Decrypt", KEYS["lake"], **{via: f"s3.{REGION}.amazonaws.com"})
        assert _allowed(
            policy,
            "kms:Decrypt",
            KEYS["secrets"],
            **{via: f"secretsmanager.{REGION}.amazonaws.com"},
        )
        # A key used directly, or through another service, is refused.
        assert not _allowed(policy, "kms:Decrypt", KEYS["lake"])
        assert not _allowed(
            policy, "kms:Decrypt", KEYS["secrets"], **{via: f"s3.{REGION}.amazonaws.com"}
        )
        assert not _allowed(
            policy, "kms:Decrypt", KEYS["logs"], **{via: f"s3.{REGION}.amazonaws.com"}
        )
        # Nothing of Glue, IAM or the network beyond its own workers' interfaces.
        assert not _allowed(policy, "glue:StartJobRun", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/x")
        assert not _allowed(policy, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/x")
        assert not _allowed(policy, "ec2:CreateNetworkInterface", "*")
        assert not _allowed(policy, "ec2:AuthorizeSecurityGroupIngress", "*")
        unrestricted = [s["sid"] for s in policy if "*" in s["resources"]]
        assert unrestricted == ["DescribeNetwork"]
        describe = [s for s in policy if s["sid"] in ("DescribeNetwork", "DescribeOwnVpc")]
        assert all(a.startswith("ec2:Describe") for s in describe for a in s["actions"])
    for project in projects.values():
        trust = hcl_blocks(_module(project) / "main.tf", "data")[
            ("aws_iam_policy_document", "assume")
        ]
        (statement,) = trust["statement"]
        assert statement["principals"] == [
            {"type": "Service", "identifiers": ["glue.amazonaws.com"]}
        ]
        assert statement["condition"][0]["variable"] == "aws:SourceAccount"
        role = hcl_blocks(_module(project) / "main.tf")[("aws_iam_role", "job")]
        assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"
    for project in cfn_projects.values():
        role = _stack(project)["Resources"]["JobRole"]["Properties"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        assert _cfn(statement["Condition"]["StringEquals"]["aws:SourceAccount"]) == ACCOUNT
        assert "ManagedPolicyArns" not in role, "its one inline policy is all it holds"


def test_encrypted_private_and_bounded(projects: dict[str, Path]) -> None:
    project = projects["containers"]
    resources = hcl_blocks(_module(project) / "main.tf")
    encryption = resources[("aws_glue_security_configuration", "this")]["encryption_configuration"][
        0
    ]
    assert encryption["s3_encryption"][0] == {
        "s3_encryption_mode": "SSE-KMS",
        "kms_key_arn": "${var.data_lake_kms_key_arn}",
    }
    assert encryption["cloudwatch_encryption"][0] == {
        "cloudwatch_encryption_mode": "SSE-KMS",
        "kms_key_arn": "${var.logs_kms_key_arn}",
    }
    assert encryption["job_bookmarks_encryption"][0] == {
        "job_bookmarks_encryption_mode": "CSE-KMS",
        "kms_key_arn": "${var.data_lake_kms_key_arn}",
    }
    job = resources[("aws_glue_job", "features")]
    assert job["security_configuration"] == "${aws_glue_security_configuration.this.name}"
    assert job["connections"] == ["${aws_glue_connection.network.name}"]
    assert job["max_retries"] == 0
    assert job["execution_property"][0]["max_concurrent_runs"] == 1
    assert job["command"][0]["name"] == "glueetl"
    connection = resources[("aws_glue_connection", "network")]
    assert connection["connection_type"] == "NETWORK"
    requirements = connection["physical_connection_requirements"][0]
    assert requirements["subnet_id"] == "${data.aws_subnet.job.id}"
    assert requirements["security_group_id_list"] == ["${aws_security_group.this.id}"]
    call = _spark_call(project)
    assert call["private_subnet_ids"] == "${module.network.private_subnet_ids}"
    group = resources[("aws_security_group", "this")]
    assert [rule["self"] for rule in group["ingress"]] == [True], "no ingress but its own workers"
    assert {rule.get("from_port") for rule in group["egress"] if "cidr_blocks" in rule} == {443}
    # The artifacts bucket is the project's hardened bucket module, on the lake key.
    artifacts = next(
        m["artifacts"] for m in load_hcl(_module(project) / "main.tf")["module"] if "artifacts" in m
    )
    assert artifacts["source"] == "../s3_bucket"
    assert artifacts["kms_key_arn"] == "${var.data_lake_kms_key_arn}"
    bucket = (project / "infra/terraform/modules/s3_bucket/main.tf").read_text()
    assert "block_public_policy     = true" in bucket and "restrict_public_buckets = true" in bucket
    variables = {
        name: body
        for v in load_hcl(_module(project) / "variables.tf")["variable"]
        for name, body in v.items()
    }
    assert "number_of_workers <= 32" in variables["number_of_workers"]["validation"][0]["condition"]
    assert "5\\\\.[0-9]+" in variables["glue_version"]["validation"][0]["condition"]
    env_variables = {
        name: body
        for v in load_hcl(_env(project) / "variables.tf")["variable"]
        for name, body in v.items()
    }
    assert env_variables["spark_glue_version"]["default"] == "5.0"
    pyproject = (project / "services/features/pyproject.toml").read_text()
    assert re.search(r'"pyspark>=3\.5\.\d+,<3\.6"', pyproject), "Glue 5's Spark line"


def test_glue_installs_from_s3_only(
    projects: dict[str, Path], cfn_projects: dict[str, Path]
) -> None:
    for cfn in cfn_projects.values():
        job = _stack(cfn)["Resources"]["FeaturesJob"]["Properties"]
        arguments = {name: _cfn(value) for name, value in job["DefaultArguments"].items()}
        assert arguments["--python-modules-installer-option"] == "--no-index --no-deps"
        assert "--additional-python-modules" not in arguments, "each run names its own wheels"
        assert _cfn(job["Command"]["ScriptLocation"]) == (
            "s3://acme-dev-123456789012-glue/code/build_features.py"
        )
        assert arguments["--APP_PSEUDONYMISATION_KEY_SECRET"] == KEY_SECRET
        assert not any(
            name in arguments for name in ("--APP_PSEUDONYMISATION_KEY", "--APP_API_KEY")
        )
    project = projects["kubernetes"]
    job = hcl_blocks(_module(project) / "main.tf")[("aws_glue_job", "features")]
    arguments = job["default_arguments"]
    assert arguments["--python-modules-installer-option"] == "--no-index --no-deps"
    assert "--additional-python-modules" not in arguments, "each run names its own wheels"
    assert job["command"][0]["script_location"] == "${local.artifacts}/code/build_features.py"
    # The key is named (its ARN), never passed.
    assert (
        arguments["--APP_PSEUDONYMISATION_KEY_SECRET"] == "${var.pseudonymisation_key_secret_arn}"  # noqa: S105 - a reference, not a value
    )
    assert not any(name in arguments for name in ("--APP_PSEUDONYMISATION_KEY", "--APP_API_KEY"))
    script = _glue_job(project)
    uris = ["s3://b/code/abc/a-1-py3-none-any.whl", "s3://b/code/abc/b-2-cp311-manylinux.whl"]
    run = script.run_arguments(uris, "abc", None)
    modules = run["--additional-python-modules"].split(",")
    assert modules == uris and all(m.startswith("s3://") for m in modules), "no PyPI name"
    with pytest.raises(ValueError, match="S3 URI without a comma"):
        script.run_arguments(["s3://b/code/a,pandas==2.2"], "abc", None)


def test_cloudformation_renders_clean(cfn_projects: dict[str, Path]) -> None:
    for target, project in cfn_projects.items():
        assert_clean_output(project)
        answers = {"cloud": "aws", "iac": "cloudformation", "deploy_target": target}
        assert_only_chosen_files(project, {**answers, "processing": "spark"})
        adr = (project / "docs/adr/0024-managed-spark.md").read_text()
        assert "the `spark` stack, `infra/cloudformation/spark.yaml`" in adr
        assert "modules/glue_spark" not in adr and "permissions boundary" not in adr
        assert "iac=cloudformation" not in adr, "no longer a refusal"
        security = (project / "docs/security.md").read_text()
        assert (
            "| `CKV_AWS_18` (S3 access logging) | `spark.yaml` `ArtifactsAccessLogsBucket` |"
            in (security)
        )
        assert "test_the_job_role_reaches_the_features_prefixes_only" in security
        assert missing_named_tests(project) == []
        deploy = (project / "docs/deploy.md").read_text()
        assert "make spark-run ENV=dev" in deploy and "modules/glue_spark" not in deploy
        assert "spark-run:" in (project / "Makefile").read_text()


def test_cloudformation_job_is_encrypted_private_and_bounded(
    cfn_projects: dict[str, Path],
) -> None:
    for project in cfn_projects.values():
        stack = _stack(project)
        resources = stack["Resources"]
        encryption = resources["SecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
        (s3,) = encryption["S3Encryptions"]
        assert (s3["S3EncryptionMode"], _cfn(s3["KmsKeyArn"])) == ("SSE-KMS", KEYS["lake"])
        logs = encryption["CloudWatchEncryption"]
        assert (logs["CloudWatchEncryptionMode"], _cfn(logs["KmsKeyArn"])) == (
            "SSE-KMS",
            KEYS["logs"],
        )
        bookmarks = encryption["JobBookmarksEncryption"]
        assert (bookmarks["JobBookmarksEncryptionMode"], _cfn(bookmarks["KmsKeyArn"])) == (
            "CSE-KMS",
            KEYS["lake"],
        )
        job = resources["FeaturesJob"]["Properties"]
        assert job["SecurityConfiguration"] == {"Ref": "SecurityConfiguration"}
        assert job["Connections"] == {"Connections": [{"Ref": "NetworkConnection"}]}
        assert job["MaxRetries"] == 0 and job["ExecutionProperty"]["MaxConcurrentRuns"] == 1
        assert job["Role"] == {"Fn::GetAtt": "JobRole.Arn"}
        # The job's logs land in the stack's log groups: retention and the logs key.
        prefix = _cfn(job["DefaultArguments"]["--custom-logGroup-prefix"])
        groups = [resources[name]["Properties"] for name in ("OutputLogGroup", "ErrorLogGroup")]
        assert sorted(_cfn(g["LogGroupName"]) for g in groups) == [
            f"{prefix}/error",
            f"{prefix}/output",
        ]
        for group in groups:
            assert _cfn(group["KmsKeyId"]) == KEYS["logs"]
            assert group["RetentionInDays"] == {
                "Fn::ImportValue": {"Fn::Sub": "${Project}-${Environment}-log-retention-days"}
            }
        # Workers in the first private subnet, behind a group only they can reach.
        connection = resources["NetworkConnection"]["Properties"]["ConnectionInput"]
        assert connection["ConnectionType"] == "NETWORK"
        requirements = connection["PhysicalConnectionRequirements"]
        assert _cfn(requirements["SubnetId"]) == "subnet-1"
        assert requirements["SecurityGroupIdList"] == [{"Ref": "JobSecurityGroup"}]
        group = resources["JobSecurityGroup"]["Properties"]
        assert "SecurityGroupIngress" not in group
        assert [rule["FromPort"] for rule in group["SecurityGroupEgress"]] == [443]
        ingress = [r for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
        assert [r["Properties"]["SourceSecurityGroupId"] for r in ingress] == [
            {"Ref": "JobSecurityGroup"}
        ]
        # The artifacts bucket: the lake key, private, versioned, TLS only.
        bucket = resources["ArtifactsBucket"]["Properties"]
        (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        assert _cfn(default["KMSMasterKeyID"]) == KEYS["lake"]
        assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        (deny,) = resources["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == (
            "false"
        )
        parameters = stack["Parameters"]
        assert parameters["NumberOfWorkers"]["MaxValue"] == 32
        assert parameters["TimeoutMinutes"]["MaxValue"] == 480
        assert re.fullmatch(parameters["GlueVersion"]["AllowedPattern"], "5.0")
        assert not re.fullmatch(parameters["GlueVersion"]["AllowedPattern"], "4.0")
        for env in ("dev", "prod"):
            params = json.loads((project / f"infra/cloudformation/params/{env}.json").read_text())
            assert params["Stacks"]["spark"]["GlueVersion"] == "5.0"


def test_one_job_spec_for_both_iacs(
    projects: dict[str, Path], cfn_projects: dict[str, Path]
) -> None:
    """Terraform and CloudFormation define the same job: command, script, arguments, bounds."""
    tf = hcl_blocks(_module(projects["containers"]) / "main.tf")[("aws_glue_job", "features")]
    cfn = _stack(cfn_projects["containers"])["Resources"]["FeaturesJob"]["Properties"]
    tf_arguments, cfn_arguments = tf["default_arguments"], cfn["DefaultArguments"]
    assert set(cfn_arguments) - set(tf_arguments) == {"--custom-logGroup-prefix"}
    assert set(tf_arguments) <= set(cfn_arguments)
    fixed = {name: value for name, value in cfn_arguments.items() if isinstance(value, str)}
    assert fixed and all(tf_arguments[name] == value for name, value in fixed.items())
    assert tf["command"][0]["name"] == cfn["Command"]["Name"] == "glueetl"
    script = tf["command"][0]["script_location"].removeprefix("${local.artifacts}/")
    assert cfn["Command"]["ScriptLocation"]["Fn::Sub"].endswith(f"/{script}")
    assert tf["execution_property"][0]["max_concurrent_runs"] == 1
    assert tf["max_retries"] == cfn["MaxRetries"] == 0
    variables = {
        name: body
        for v in load_hcl(_module(projects["containers"]) / "variables.tf")["variable"]
        for name, body in v.items()
    }
    parameters = _stack(cfn_projects["containers"])["Parameters"]
    assert variables["worker_type"]["default"] == parameters["WorkerType"]["Default"]
    assert variables["number_of_workers"]["default"] == parameters["NumberOfWorkers"]["Default"]
    assert variables["timeout_minutes"]["default"] == parameters["TimeoutMinutes"]["Default"]


def test_cloudformation_outputs_are_the_terraform_contract(cfn_projects: dict[str, Path]) -> None:
    """`make spark-run` and `scripts/deploy.sh dags` read spark_job_name and
    spark_artifacts_bucket through infra_output: the CloudFormation path maps them to the spark
    stack's outputs, deployed after the stacks it imports from."""
    for project in cfn_projects.values():
        outputs = _stack(project)["Outputs"]
        infra = (project / "scripts/deploy/infra.sh").read_text()
        for name, output in (
            ("spark_job_name", "JobName"),
            ("spark_artifacts_bucket", "ArtifactsBucketName"),
        ):
            assert f'{name}) _cfn_stack_output spark "$env_name" {output} ;;' in infra
            assert output in outputs
        deploy = (project / "scripts/deploy.sh").read_text()
        assert '--job "$(infra_output spark_job_name "$env_name")"' in deploy
        assert _cfn(outputs["JobArn"]["Value"]) == (
            f"arn:aws:glue:{REGION}:{ACCOUNT}:job/acme-dev-build-features"
        )
        stacks = infra[infra.index("_cfn_stacks() {") :]
        stacks = stacks[: stacks.index("\n}\n")]
        order = re.findall(r"\becho ([a-z -]+)", stacks)
        flat = " ".join(order).split()
        for before in ("audit", "network", "data-lake", "secrets"):
            assert flat.index(before) < flat.index("spark")


def _checkov_findings(pin: str, stack: Path) -> str:
    scan = ["uv", "tool", "run", "--from", pin, "checkov", "--quiet", "--compact"]
    scan += ["--framework", "cloudformation", "--skip-download", "--file", str(stack)]
    result = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    return result.stdout + result.stderr


def test_cloudformation_checks_pass_and_catch_unencrypted_glue_logs(
    cfn_projects: dict[str, Path], tmp_path: Path
) -> None:
    require("uv")
    project = cfn_projects["kubernetes"]
    checks = ("cfn-lint", "checkov", "yamllint", "shellcheck")
    result = project_checks(project, *checks)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    for check in checks:  # ran, not skipped for a missing tool
        assert re.search(rf"^{check}\s+passed", result.stdout, re.MULTILINE), result.stdout
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    text = (project / "infra/cloudformation/spark.yaml").read_text()
    clean = tmp_path / "spark.yaml"
    clean.write_text(text)
    found = _checkov_findings(pin.group(1), clean)
    assert "Passed checks" in found and "Failed checks: 0" in found, found[-4000:]
    line = "CloudWatchEncryptionMode: SSE-KMS"
    assert text.count(line) == 1
    weakened = tmp_path / "weakened" / "spark.yaml"
    weakened.parent.mkdir()
    weakened.write_text(text.replace(line, "CloudWatchEncryptionMode: DISABLED"))
    assert "CKV_AWS_99" in _checkov_findings(pin.group(1), weakened)
    key = re.compile(r"(  ErrorLogGroup:\n(?:.*\n)*?)      KmsKeyId:\n.*\n.*\n")
    assert key.search(text)
    unkeyed = tmp_path / "unkeyed" / "spark.yaml"
    unkeyed.parent.mkdir()
    unkeyed.write_text(key.sub(r"\1", text, count=1))
    assert "CKV_AWS_158" in _checkov_findings(pin.group(1), unkeyed)


def _glue_job(project: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"glue_job_{project.parent.name}", project / "scripts/deploy/glue_job.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeAws:
    """S3 and Glue as the script calls them: records uploads and calls, answers run states."""

    def __init__(self, states: list[str]) -> None:
        self.states = states
        self.objects: dict[str, bytes] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, service: str, region: str) -> FakeAws:
        assert region == REGION
        return self

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:
        self.objects[f"s3://{Bucket}/{Key}"] = Body
        return {}

    def start_job_run(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("start_job_run", request))
        return {"JobRunId": "jr_1"}

    def get_job_run(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("get_job_run", request))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        run: dict[str, Any] = {"Id": "jr_1", "JobRunState": state}
        if state == "FAILED":
            run["ErrorMessage"] = "ModuleNotFoundError: pandera"
        return {"JobRun": run}

    def batch_stop_job_run(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("batch_stop_job_run", request))
        return {}


def _wheels(out: Path) -> list[Path]:
    names = ["acme-contracts-0.1.0-py3-none-any.whl", "acme-features-0.1.0-py3-none-any.whl"]
    names.append("pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl")
    for name in names:
        (out / name).write_bytes(b"PK" + name.encode())
    return sorted(out / name for name in names)


def _spark_run(
    project: Path, aws: FakeAws, *extra: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    script = _glue_job(project)
    clock = iter(float(second) for second in range(0, 100_000, 30))
    argv = ["--job", "acme-dev-build-features", "--bucket", "acme-art", "--region", REGION]
    argv += ["--code-version", "abc123", "--poll-seconds", "30", *extra]
    code = script.main(argv, aws, _wheels, sleep=lambda _: None, clock=lambda: next(clock))
    return code, capsys.readouterr().out


def test_spark_run_uploads_the_wheels_and_never_passes_the_key(
    projects: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = projects["containers"]
    aws = FakeAws(["STARTING", "RUNNING", "SUCCEEDED"])
    code, out = _spark_run(project, aws, "--date", "2026-01-15", capsys=capsys)
    assert code == 0
    script = (project / "services/features/glue/build_features.py").read_bytes()
    assert aws.objects["s3://acme-art/code/build_features.py"] == script
    wheels = sorted(uri for uri in aws.objects if uri.endswith(".whl"))
    assert wheels and all(uri.startswith("s3://acme-art/code/abc123/") for uri in wheels)
    (start, request), *polls = aws.calls
    assert start == "start_job_run" and request["JobName"] == "acme-dev-build-features"
    arguments = request["Arguments"]
    assert sorted(arguments["--additional-python-modules"].split(",")) == wheels
    assert arguments["--APP_CODE_VERSION"] == "abc123" and arguments["--date"] == "2026-01-15"
    assert not [name for name in arguments if "KEY" in name], "the key is never an argument"
    assert [name for name, _ in polls] == ["get_job_run"] * 3
    assert out.strip().splitlines()[-1] == "acme-dev-build-features: run jr_1 SUCCEEDED"
    # A failed run fails `make spark-run`, with Glue's reason.
    code, out = _spark_run(project, FakeAws(["RUNNING", "FAILED"]), capsys=capsys)
    assert code == 1 and "run jr_1 FAILED: ModuleNotFoundError: pandera" in out
    # A run that outlasts the wait is stopped, not left running unseen.
    stuck = FakeAws(["RUNNING"])
    code, out = _spark_run(project, stuck, "--wait-minutes", "2", capsys=capsys)
    assert code == 1 and "STOPPED: waited too long" in out
    assert stuck.calls[-1] == (
        "batch_stop_job_run",
        {"JobName": "acme-dev-build-features", "JobRunIds": ["jr_1"]},
    )
    polls = [c for c in stuck.calls if c[0] == "get_job_run"]
    assert len(polls) == 4, "every 30 s for 2 minutes, then stopped"
    deploy = (project / "scripts/deploy.sh").read_text()
    assert re.search(
        r"uv run --no-sync python \"\$PROJECT_ROOT/scripts/deploy/glue_job.py\"", deploy
    )
    assert '--code-version "$IMAGE_TAG"' in deploy and "get-secret-value" not in deploy


def test_spark_run_builds_wheels_from_the_lock_without_pyspark(projects: dict[str, Path]) -> None:
    project = projects["kubernetes"]
    script = _glue_job(project)
    commands: list[list[str]] = []
    script.build_wheels(Path("/out"), commands.append)
    builds, (export,), (download,) = commands[:2], commands[2:3], commands[3:]
    assert [c[:3] for c in builds] == [["uv", "build", "--package"]] * 2
    assert {c[3].rsplit("-", 1)[-1] for c in builds} == {"contracts", "features"}
    assert export[:3] == ["uv", "export", "--frozen"] and "--no-dev" in export
    assert export[export.index("--no-emit-package") + 1] == "pyspark", "Glue brings Spark"
    assert "--no-emit-workspace" in export
    assert "download" in download and "--only-binary=:all:" in download
    assert download[download.index("--python-version") + 1] == "3.11"
    assert "--no-deps" in download
    platforms = {download[i + 1] for i, item in enumerate(download) if item == "--platform"}
    # Glue 5's glibc 2.34 and every older manylinux tag: pip does not widen --platform itself.
    assert {"manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64"} <= platforms
    assert not any(p.startswith("manylinux_2_35") for p in platforms)


def test_checkov_passes_and_catches_unencrypted_glue_logs(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    require("uv")
    project = projects["containers"]
    result = project_checks(project, "checkov", "terraform-refs", "iam-escalation", "shellcheck")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    modules = tmp_path / "modules"
    shutil.copytree(project / "infra/terraform/modules", modules)
    main = modules / "glue_spark/main.tf"
    text = main.read_text()
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(main.parent)]
    # Scanned on its own, a module's s3_bucket call trips checkov's CKV_AWS_300 (it does not
    # see the bucket module's fixed abort rule next to the dynamic ones; the project scan above
    # does), so this scan compares the Glue check before and after the change.
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert "CKV_AWS_99" not in clean.stdout + clean.stderr, (clean.stdout + clean.stderr)[-4000:]
    assert "Passed checks" in clean.stdout
    line = 'cloudwatch_encryption_mode = "SSE-KMS"'
    assert line in text
    main.write_text(text.replace(line, 'cloudwatch_encryption_mode = "DISABLED"'))
    weakened = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert weakened.returncode != 0
    assert "CKV_AWS_99" in weakened.stdout + weakened.stderr


@pytest.fixture(scope="module")
def airflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "aws", "deploy_target": "containers", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("airflow") / "p", {**answers, "orchestration": "airflow"}
    ).destination


GLUE_STATEMENT = re.compile(
    r'sid\s+= "RunFeaturesGlueJob"\n\s+actions\s+= (\[.*?\])\n\s+resources = (\[.*?\])\n'
)


def assert_runs_the_features_job_only(policy: str, resource: str) -> None:
    """The Terraform policy's RunFeaturesGlueJob statement: start, follow and stop runs of
    ``resource`` only, and no iam:PassRole beside them."""
    statement = GLUE_STATEMENT.search(policy)
    assert statement is not None
    assert re.findall(r'"([^"]+)"', statement.group(1)) == [
        "glue:StartJobRun",
        "glue:GetJobRun",
        "glue:BatchStopJobRun",
    ]
    assert statement.group(2) == resource
    assert "iam:PassRole" not in policy.split('sid       = "RunFeaturesGlueJob"')[1].split("}")[0]


def test_mwaa_runs_the_glue_job_with_exactly_the_iam_it_needs(airflow_project: Path) -> None:
    """The MWAA DAG's features task is a run of the features Glue job: the execution role may
    start, follow and stop that job's runs only, and no longer runs the features ECS task; the
    DAGs get the job's name and the deploy stages the script and the wheels beside them."""
    project = airflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    mwaa = (project / "infra/terraform/modules/mwaa/main.tf").read_text()
    assert_runs_the_features_job_only(mwaa, "[var.glue_job_arn]")
    call = next(m["mwaa"] for m in load_hcl(_env(project) / "main.tf")["module"] if "mwaa" in m)
    assert call["glue_job_arn"] == "${module.spark.job_arn}"
    assert call["pipeline_environment"]["PIPELINE_SPARK_JOB"] == "${module.spark.job_name}"
    families = call["ecs_task_family_arns"]
    assert "module.ecs.task_family_arns" in families and "if service !=" in families
    assert "features" in families, "every service's ECS task but the features one"
    dags = (project / "scripts/deploy/dags.sh").read_text()
    assert 'cp "$PROJECT_ROOT/scripts/deploy/glue_job.py" "$1/"' in dags
    assert re.search(r"glue_job.py\" --stage-only \\\n[^>]*>\"\$1/spark_run.json\"", dags)
    dag = (project / "orchestration/dags/pipeline.py").read_text()
    assert 'deployed_script("glue_job")' in dag and "glue_job.start_and_wait(" in dag


def test_dags_deploy_stages_the_wheels_without_starting_a_run(
    airflow_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = FakeAws(["SUCCEEDED"])
    code, out = _spark_run(airflow_project, aws, "--stage-only", capsys=capsys)
    assert code == 0
    staged = sorted(uri for uri in aws.objects if uri.endswith(".whl"))
    assert sorted(json.loads(out)) == staged
    assert aws.calls == [], "staging starts no run"


def test_mwaa_with_the_glue_job_passes_the_project_checks(airflow_project: Path) -> None:
    """checkov (scanned alone, the MWAA module does not flag a Glue grant widened to every job:
    the grant's scope is asserted above), Terraform references, the IAM escalation check and
    shellcheck on dags.sh pass on the project as generated."""
    require("uv")
    result = project_checks(
        airflow_project, "checkov", "terraform-refs", "iam-escalation", "shellcheck"
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_dags_deploy_ships_the_script_and_the_staged_wheels(
    airflow_project: Path, tmp_path: Path
) -> None:
    """`scripts/deploy.sh dags` run through bash with the AWS and uv commands replaced by
    recorders (no AWS here): it reads each Terraform output of the environment by name, stages
    the wheels for IMAGE_TAG and syncs the DAGs, glue_job.py, image_tag.txt and spark_run.json."""
    calls, synced = tmp_path / "calls", tmp_path / "synced"
    stubs = f"""
aws_region() {{ echo "{REGION}"; }}
uv() {{ echo "uv $*" >>{calls}; echo '["s3://out-spark_artifacts_bucket/code/v1/x.whl"]'; }}
aws() {{ echo "aws $*" >>{calls}; cp -r "${{@: -2:1}}" {synced}; }}
"""
    recorded = sync_dags_recorded(airflow_project, calls, stubs)
    assert "infra_output spark_job_name dev" in recorded
    assert "infra_output spark_artifacts_bucket dev" in recorded
    assert "infra_output airflow_dag_bucket dev" in recorded
    stage = next(line for line in recorded if line.startswith("uv "))
    assert "--stage-only" in stage and "--job out-spark_job_name" in stage
    assert "--code-version v1" in stage
    assert any(
        line.startswith("aws s3 sync") and "s3://out-airflow_dag_bucket/dags/" in line
        for line in recorded
    )
    assert {path.name for path in synced.iterdir()} >= {
        "pipeline.py",
        "glue_job.py",
        "image_tag.txt",
        "spark_run.json",
    }
    assert json.loads((synced / "spark_run.json").read_text()) == [
        "s3://out-spark_artifacts_bucket/code/v1/x.whl"
    ]


@pytest.fixture(scope="module")
def kubeflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "aws", "deploy_target": "kubernetes", "processing": "spark"}
    return create_project(
        tmp_path_factory.mktemp("kubeflow") / "p", {**answers, "orchestration": "kubeflow"}
    ).destination


def test_the_kubeflow_run_starts_the_glue_job_with_exactly_the_iam_it_needs(
    kubeflow_project: Path,
) -> None:
    """The Kubeflow pipeline's features step is a run of the features Glue job, started as the
    run's Kubernetes service account through IRSA: its role is trusted by that service account
    only and may start, follow and stop that job's runs only; `make kfp-submit` hands the step
    glue_job.py's own request on the wheels it stages."""
    project = kubeflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    main = (_module(project) / "main.tf").read_text()
    assert_runs_the_features_job_only(main, "[aws_glue_job.features.arn]")
    data = hcl_blocks(_module(project) / "main.tf", "data")
    (trust,) = data[("aws_iam_policy_document", "pipeline_assume")]["statement"]
    assert trust["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert trust["principals"] == [
        {"type": "Federated", "identifiers": ["${var.oidc_provider_arn}"]}
    ]
    conditions = {c["variable"]: c["values"] for c in trust["condition"]}
    assert conditions == {
        "${var.oidc_issuer}:sub": ["system:serviceaccount:${var.pipeline_service_account}"],
        "${var.oidc_issuer}:aud": ["sts.amazonaws.com"],
    }
    role = hcl_blocks(_module(project) / "main.tf")[("aws_iam_role", "pipeline")]
    assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"
    call = _spark_call(project)
    assert call["pipeline_service_account"] == "${var.project}:${var.kfp_run_service_account}"
    assert call["oidc_provider_arn"] == "${module.eks.oidc_provider_arn}"
    variables = (_env(project) / "variables.tf").read_text()
    assert re.search(
        r'variable "kfp_run_service_account" \{[^}]*default\s+= "default-editor"', variables
    )
    deploy = (project / "scripts/deploy.sh").read_text()
    assert re.search(r'glue_job.py" --json \\\n[^>]*>"\$spark_run"', deploy)
    assert '--spark-run "$spark_run"' in deploy
    assert (project / "orchestration/src/kfp_pipeline/managed_spark.py").is_file()
    pipeline = (project / "orchestration/pipeline.yaml").read_text()
    assert "componentInputParameter: spark_run" in pipeline


def test_kfp_submit_stages_the_wheels_and_prints_the_runs_request(
    kubeflow_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = FakeAws(["SUCCEEDED"])
    code, out = _spark_run(kubeflow_project, aws, "--json", capsys=capsys)
    assert code == 0
    assert aws.calls == [], "the pipeline's step starts the run, not kfp-submit"
    request = json.loads(out)
    assert (request["job"], request["region"]) == ("acme-dev-build-features", REGION)
    staged = sorted(uri for uri in aws.objects if uri.endswith(".whl"))
    arguments = request["arguments"]
    assert sorted(arguments["--additional-python-modules"].split(",")) == staged
    assert arguments["--APP_CODE_VERSION"] == "abc123"
    assert not [name for name in arguments if "KEY" in name], "the key is never an argument"


def test_kubeflow_with_the_glue_job_passes_the_project_checks(kubeflow_project: Path) -> None:
    require("uv")
    result = project_checks(
        kubeflow_project, "checkov", "terraform-refs", "iam-escalation", "shellcheck"
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.fixture(scope="module")
def cfn_airflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "aws", "iac": "cloudformation", "deploy_target": "containers"}
    answers |= {"processing": "spark", "orchestration": "airflow"}
    return create_project(tmp_path_factory.mktemp("cfn-airflow") / "p", answers).destination


def test_cloudformation_mwaa_runs_the_glue_job_with_exactly_the_iam_it_needs(
    cfn_airflow_project: Path, tmp_path: Path
) -> None:
    """With CloudFormation the MWAA execution role may start, follow and stop the spark stack's
    job only (its exported ARN), MWAA hands the DAGs the job's name, the spark stack is deployed
    before the orchestration stack that imports it, and the checks pass."""
    import yaml

    project = cfn_airflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    stack = yaml.safe_load((project / "infra/cloudformation/orchestration.yaml").read_text())
    role = stack["Resources"]["ExecutionRole"]["Properties"]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    glue = statements.pop("RunFeaturesGlueJob")
    assert glue["Action"] == ["glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"]
    export = {"Fn::Sub": "${Project}-${Environment}-spark-job-arn"}
    assert glue["Resource"] == {"Fn::ImportValue": export}
    others = [action for s in statements.values() for action in _as_list(s["Action"])]
    assert not [action for action in others if action.startswith("glue:")]
    # Every step's ECS task but the features one, which the Glue job replaces.
    names = dict(CFN_NAMES, **{"AWS::Partition": "aws"})
    families = [_cfn(item, names) for item in statements["RunServiceTasks"]["Resource"]]
    prefix = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/acme-dev-"
    assert families == [f"{prefix}{name}:*" for name in ("ingestion", "training", "monitoring")]
    spark = _stack(project)
    assert spark["Outputs"]["JobArn"]["Export"]["Name"] == export
    name_export = spark["Outputs"]["JobName"]["Export"]["Name"]
    options = stack["Resources"]["AirflowEnvironment"]["Properties"]["AirflowConfigurationOptions"]
    assert options["pipeline.spark_job"] == {"Fn::ImportValue": name_export}
    dag = (project / "orchestration/dags/pipeline.py").read_text()
    required = set(re.findall(r'setting\("([A-Z_]+)"\)', dag))
    assert "PIPELINE_SPARK_JOB" in required
    assert {f"pipeline.{name.removeprefix('PIPELINE_').lower()}" for name in required} <= set(
        options
    )
    infra = (project / "scripts/deploy/infra.sh").read_text()
    assert infra.index("echo spark") < infra.index("echo orchestration")
    calls = tmp_path / "calls"
    stubs = f"""
aws_region() {{ echo "{REGION}"; }}
uv() {{ echo "uv $*" >>{calls}; echo '["s3://out-spark_artifacts_bucket/code/v1/x.whl"]'; }}
aws() {{ echo "aws $*" >>{calls}; }}
"""
    recorded = sync_dags_recorded(project, calls, stubs)
    assert "infra_output spark_job_name dev" in recorded
    assert "infra_output spark_artifacts_bucket dev" in recorded
    require("uv")
    checks = ("cfn-lint", "checkov", "shellcheck")
    result = project_checks(project, *checks)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.fixture(scope="module")
def cfn_kubeflow_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answers = {"cloud": "aws", "iac": "cloudformation", "deploy_target": "kubernetes"}
    answers |= {"processing": "spark", "orchestration": "kubeflow"}
    return create_project(tmp_path_factory.mktemp("cfn-kubeflow") / "p", answers).destination


ISSUER = f"oidc.eks.{REGION}.amazonaws.com/id/ABC123"
JOB = "acme-dev-build-features"
# The iam stack's parameters and the compute-eks and spark stacks' exports, as _cfn reads them.
CFN_IAM_NAMES: dict[str, Any] = dict(
    CFN_NAMES,
    KubernetesNamespace="acme",
    KfpRunServiceAccount="default-editor",
    **{
        "export:acme-dev-oidc-provider-arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}",
        "export:acme-dev-oidc-issuer": ISSUER,
        "export:acme-dev-spark-job-arn": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{JOB}",
    },
)


def _trusts(trust: dict[str, Any], provider: str, claims: dict[str, str]) -> bool:
    """Whether STS lets a web identity token of provider with claims assume the role."""
    for statement in trust["Statement"]:
        if statement["Effect"] != "Allow" or statement["Action"] != "sts:AssumeRoleWithWebIdentity":
            continue
        if statement["Principal"] != {"Federated": provider}:
            continue
        conditions = statement.get("Condition", {})
        assert set(conditions) <= {"StringEquals"}, "only exact matches are replayed here"
        if all(
            claims.get(key.removeprefix(f"{ISSUER}:")) == value
            for key, value in conditions.get("StringEquals", {}).items()
        ):
            return True
    return False


def test_cloudformation_kubeflow_run_starts_the_glue_job_with_exactly_the_iam_it_needs(
    cfn_kubeflow_project: Path,
) -> None:
    """With CloudFormation the iam stack holds the Kubeflow run's IRSA role, as Terraform's
    glue_spark module does: a token of the run's service account (KfpRunServiceAccount in the
    project's namespace) for STS is the only one it trusts, it may start, follow and stop the
    spark stack's job only (its exported ARN, no PassRole), infra.sh maps
    spark_pipeline_role_arn to it, and the stacks it imports from are deployed before it."""
    import yaml

    project = cfn_kubeflow_project
    assert_clean_output(project)
    assert missing_named_tests(project) == []
    stack = yaml.safe_load((project / "infra/cloudformation/iam.yaml").read_text())
    assert stack["Parameters"]["KfpRunServiceAccount"]["Default"] == "default-editor"
    role = stack["Resources"]["SparkPipelineRole"]["Properties"]
    trust = json.loads(_cfn(role["AssumeRolePolicyDocument"], CFN_IAM_NAMES))
    provider = CFN_IAM_NAMES["export:acme-dev-oidc-provider-arn"]
    run = {"sub": "system:serviceaccount:acme:default-editor", "aud": "sts.amazonaws.com"}
    assert _trusts(trust, provider, run)
    for attack in (
        {**run, "sub": "system:serviceaccount:acme:features"},  # another workload
        {**run, "sub": "system:serviceaccount:other:default-editor"},  # another namespace
        {**run, "aud": "other-client"},  # a token minted for another audience
        {"aud": "sts.amazonaws.com"},  # no subject
    ):
        assert not _trusts(trust, provider, attack), attack
    other_cluster = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/X"
    assert not _trusts(trust, other_cluster, run)
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and "Condition" not in statement
    assert statement["Action"] == ["glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"]
    export = {"Fn::Sub": "${Project}-${Environment}-spark-job-arn"}
    assert statement["Resource"] == {"Fn::ImportValue": export}
    assert _stack(project)["Outputs"]["JobArn"]["Export"]["Name"] == export
    assert "ManagedPolicyArns" not in role and "iam:PassRole" not in json.dumps(role)
    outputs = stack["Outputs"]
    assert outputs["SparkPipelineRoleArn"]["Value"] == {"Fn::GetAtt": "SparkPipelineRole.Arn"}
    infra = (project / "scripts/deploy/infra.sh").read_text()
    line = 'spark_pipeline_role_arn) _cfn_stack_output iam "$env_name" SparkPipelineRoleArn ;;'
    assert line in infra
    stacks = infra[infra.index("_cfn_stacks() {") :]
    flat = " ".join(re.findall(r"\becho ([a-z -]+)", stacks[: stacks.index("\n}\n")])).split()
    assert flat.index("spark") < flat.index("iam") and flat.index("compute-eks") < flat.index("iam")
    deploy = (project / "docs/deploy.md").read_text()
    assert "`KfpRunServiceAccount`" in deploy and "`spark_pipeline_role_arn`" in deploy
    adr = (project / "docs/adr/0024-managed-spark.md").read_text()
    assert "the iam stack's `SparkPipelineRole`" in adr and "aiarch refuses" not in adr


def test_cloudformation_kubeflow_with_the_glue_job_passes_the_project_checks(
    cfn_kubeflow_project: Path,
) -> None:
    require("uv")
    checks = ("cfn-lint", "checkov", "yamllint", "shellcheck")
    result = project_checks(cfn_kubeflow_project, *checks)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    for check in checks:  # ran, not skipped for a missing tool
        assert re.search(rf"^{check}\s+passed", result.stdout, re.MULTILINE), result.stdout
