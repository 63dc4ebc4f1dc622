"""Issue 12, streaming=kafka: the cloud's Kafka in the IaC and the events consumer's deployment.

Renders each cloud (Terraform on both deploy targets, CloudFormation on AWS), reads the Kafka
resources (python-hcl2 for Terraform, YAML for CloudFormation) and checks what a reviewer would:
TLS only, token/IAM auth only, encryption at rest with the project's own key, private networking,
logs, topics with retention (dead letters kept longer). The events identity's grants are
replayed as requests: what it must do is allowed, what an attacker holding its identity would
try next (write the events topic, read the dead letters, use another group or topic, administer
topics) is refused. The Kubernetes overlay is built with the values rollout.sh fills in and its
NetworkPolicy replayed against connections. checkov runs on one render, once as generated and
once with client-broker TLS switched off (it must fail then).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiarch_scaffold.generate import create_project
from aiarch_scaffold.questions import load_questions
from tests.template.infra import hcl_blocks, load_hcl, project_checks
from tests.template.rendered import assert_clean_output, assert_only_chosen_files
from tests.tools import require

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 parses the rendered Terraform")

QUESTIONS = {question.name: question for question in load_questions()}
TARGETS = [str(choice) for choice in QUESTIONS["deploy_target"].choices.values()]
EVENTS, DLQ, GROUP = "customer-events", "customer-events-dlq", "events-lake"
BROKER_PORT = {"aws": 9098, "gcp": 9092, "azure": 9093}


def _render(tmp: Path, cloud: str, target: str, iac: str = "terraform") -> Path:
    answers = {"cloud": cloud, "iac": iac, "deploy_target": target, "streaming": "kafka"}
    return create_project(tmp / "p", answers).destination


def _answers(project: Path) -> dict[str, Any]:
    """The answers the project records (defaults included)."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text())  # type: ignore[no-any-return]


def _module_call(env: Path, name: str) -> dict[str, Any]:
    for entry in load_hcl(env / "main.tf").get("module", []):
        if name in entry:
            return entry[name]  # type: ignore[no-any-return]
    raise AssertionError(f"no module {name!r} in {env / 'main.tf'}")


def _env_locals(env: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for entry in load_hcl(env / "main.tf").get("locals", []):
        merged.update(entry)
    return merged


def _one(block: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested block python-hcl2 gives as a one-element list."""
    value = block[key]
    assert isinstance(value, list) and len(value) == 1, (key, value)
    return value[0]  # type: ignore[no-any-return]


def _assert_topics(topics: dict[str, Any]) -> None:
    assert set(topics) == {EVENTS, DLQ}
    assert topics[DLQ]["retention_days"] > topics[EVENTS]["retention_days"] >= 1


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    rendered = {}
    for cloud in ("aws", "gcp", "azure"):
        for target in TARGETS:
            rendered[(cloud, "terraform", target)] = _render(
                tmp_path_factory.mktemp(f"{cloud}-{target}"), cloud, target
            )
    # kafka.yaml is the same on both targets; the ECS stack needs containers.
    rendered[("aws", "cloudformation", "containers")] = _render(
        tmp_path_factory.mktemp("cfn"), "aws", "containers", "cloudformation"
    )
    return rendered


def test_kafka_is_a_streaming_choice() -> None:
    assert "kafka" in [str(choice) for choice in QUESTIONS["streaming"].choices.values()]


def test_renders_clean(projects: dict[tuple[str, str, str], Path]) -> None:
    for project in projects.values():
        assert_clean_output(project)
        assert_only_chosen_files(project, _answers(project))


def test_without_kafka_no_kafka_infrastructure(tmp_path: Path) -> None:
    for cloud in ("aws", "gcp", "azure"):
        project = create_project(tmp_path / cloud, {"cloud": cloud}).destination
        assert_only_chosen_files(project, _answers(project))
        found = [
            str(path.relative_to(project))
            for path in project.rglob("*")
            if path.is_file()
            and path.name != ".copier-answers.yml"
            and path.suffix != ".md"  # the ADRs name Kafka among the alternatives
            and re.search(r"kafka|customer-events", path.read_text(errors="ignore"), re.I)
        ]
        assert found == [], found


# ---------------------------------------------------------------- AWS MSK (Terraform)
def _allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    return any(
        action in statement["actions"]
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in statement["resources"])
        for statement in statements
    )


def _msk_consumer_statements(module: Path, call: dict[str, Any]) -> list[dict[str, Any]]:
    """The consumer policy with the module's inputs and a concrete cluster ARN substituted."""
    cluster = "arn:aws:kafka:eu-west-1:111122223333:cluster/p-dev/uuid-1"
    values = {
        "${aws_msk_cluster.this.arn}": cluster,
        "${local.topic_arn_prefix}": cluster.replace(":cluster/", ":topic/"),
        "${local.group_arn_prefix}": cluster.replace(":cluster/", ":group/"),
        "${var.events_topic}": call["events_topic"],
        "${var.dead_letter_topic}": call["dead_letter_topic"],
        "${var.consumer_group}": call["consumer_group"],
    }

    def fill(text: str) -> str:
        for ref, value in values.items():
            text = text.replace(ref, value)
        assert "${" not in text, text
        return text

    policy = hcl_blocks(module / "main.tf", "data")[("aws_iam_policy_document", "consumer")]
    return [
        {"actions": s["actions"], "resources": [fill(r) for r in s["resources"]]}
        for s in policy["statement"]
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_aws_msk_is_private_encrypted_and_iam_only(
    projects: dict[tuple[str, str, str], Path], target: str
) -> None:
    project = projects[("aws", "terraform", target)]
    module = project / "infra/terraform/modules/msk"
    env = project / "infra/terraform/envs/dev"
    resources = hcl_blocks(module / "main.tf", "resource")
    cluster = resources[("aws_msk_cluster", "this")]
    auth = _one(cluster, "client_authentication")
    assert auth["unauthenticated"] is False
    assert _one(auth, "sasl") == {"iam": True}
    encryption = _one(cluster, "encryption_info")
    assert encryption["encryption_at_rest_kms_key_arn"] == "${module.key.arn}"
    assert _one(encryption, "encryption_in_transit") == {"client_broker": "TLS", "in_cluster": True}
    nodes = _one(cluster, "broker_node_group_info")
    assert _one(_one(nodes, "connectivity_info"), "public_access") == {"type": "DISABLED"}
    logs = _one(_one(_one(cluster, "logging_info"), "broker_logs"), "cloudwatch_logs")
    assert logs["enabled"] is True
    log_group = resources[("aws_cloudwatch_log_group", "brokers")]
    assert log_group["kms_key_id"] == "${var.logs_kms_key_arn}"
    # The only way in: 9098 (SASL/IAM over TLS) from the VPC; never the plaintext 9092.
    ingress = [body for (kind, _), body in resources.items() if "ingress" in kind]
    assert [(r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in ingress] == [
        (9098, 9098, "${var.client_cidr}")
    ]
    call = _module_call(env, "kafka")
    assert call["client_cidr"] == "${module.network.vpc_cidr_block}"
    assert call["subnet_ids"] == "${module.network.private_subnet_ids}"
    assert "events" in call["consumer_role_name"]
    _assert_topics(_env_locals(env)["kafka_topics"])
    config = resources[("aws_msk_configuration", "this")]["server_properties"]
    assert "auto.create.topics.enable=false" in config


def test_aws_msk_consumer_grant_is_least_privilege(
    projects: dict[tuple[str, str, str], Path],
) -> None:
    project = projects[("aws", "terraform", TARGETS[0])]
    call = _module_call(project / "infra/terraform/envs/dev", "kafka")
    statements = _msk_consumer_statements(project / "infra/terraform/modules/msk", call)
    topic = "arn:aws:kafka:eu-west-1:111122223333:topic/p-dev/uuid-1/"
    group = "arn:aws:kafka:eu-west-1:111122223333:group/p-dev/uuid-1/"
    cluster = "arn:aws:kafka:eu-west-1:111122223333:cluster/p-dev/uuid-1"
    # What the consumer does.
    assert _allowed(statements, "kafka-cluster:Connect", cluster)
    assert _allowed(statements, "kafka-cluster:ReadData", topic + EVENTS)
    assert _allowed(statements, "kafka-cluster:AlterGroup", group + GROUP)
    assert _allowed(statements, "kafka-cluster:WriteData", topic + DLQ)
    # What a stolen consumer identity would try next.
    assert not _allowed(statements, "kafka-cluster:WriteData", topic + EVENTS)  # forge events
    assert not _allowed(statements, "kafka-cluster:ReadData", topic + DLQ)
    assert not _allowed(statements, "kafka-cluster:ReadData", topic + "payments")
    assert not _allowed(statements, "kafka-cluster:AlterGroup", group + "other-group")
    assert not _allowed(statements, "kafka-cluster:CreateTopic", topic + EVENTS)
    assert not _allowed(statements, "kafka-cluster:DeleteTopic", topic + EVENTS)
    assert not _allowed(statements, "kafka-cluster:AlterCluster", cluster)
    assert all("*" not in r for s in statements for r in s["resources"])


def test_aws_ecs_events_task_reaches_the_brokers(
    projects: dict[tuple[str, str, str], Path],
) -> None:
    env = projects[("aws", "terraform", "containers")] / "infra/terraform/envs/dev"
    rules = hcl_blocks(env / "main.tf", "resource")
    egress = rules[("aws_vpc_security_group_egress_rule", "tasks_kafka")]
    assert (egress["from_port"], egress["to_port"]) == (9098, 9098)
    assert egress["referenced_security_group_id"] == "${module.kafka.security_group_id}"
    ecs = _module_call(env, "ecs")
    assert "local.kafka_environment" in ecs["environment"]
    assert _env_locals(env)["kafka_environment"]["APP_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


# ---------------------------------------------------------------- AWS MSK (CloudFormation)
def test_cloudformation_msk(projects: dict[tuple[str, str, str], Path]) -> None:
    project = projects[("aws", "cloudformation", "containers")]
    stack = yaml.safe_load((project / "infra/cloudformation/kafka.yaml").read_text())
    resources = stack["Resources"]
    cluster = resources["Cluster"]["Properties"]
    assert cluster["ClientAuthentication"] == {
        "Unauthenticated": {"Enabled": False},
        "Sasl": {"Iam": {"Enabled": True}},
    }
    assert cluster["EncryptionInfo"]["EncryptionInTransit"] == {
        "ClientBroker": "TLS",
        "InCluster": True,
    }
    assert cluster["EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"] == {
        "Fn::GetAtt": "KafkaKey.Arn"
    }
    assert resources["KafkaKey"]["Properties"]["EnableKeyRotation"] is True
    assert cluster["BrokerNodeGroupInfo"]["ConnectivityInfo"]["PublicAccess"]["Type"] == "DISABLED"
    assert cluster["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["Enabled"] is True
    ingress = resources["BrokerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(9098, 9098)]
    topics = {
        r["Properties"]["TopicName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::MSK::Topic"
    }
    assert set(topics) == {EVENTS, DLQ}
    params = stack["Parameters"]
    assert params["DeadLetterRetentionMs"]["Default"] > params["EventsRetentionMs"]["Default"]
    policy = resources["EventsKafkaPolicy"]["Properties"]
    assert policy["RoleName"] == {"Fn::Sub": "${Project}-${Environment}-events"}
    grants = {
        s["Sid"]: (
            set(s["Action"]),
            s["Resource"] if "Ref" in s["Resource"] else s["Resource"]["Fn::Sub"][0],
        )
        for s in policy["PolicyDocument"]["Statement"]
    }
    assert grants["ReadEvents"][0] == {"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}
    assert grants["ReadEvents"][1].endswith("/customer-events")
    assert grants["WriteDeadLetters"][0] == {
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:WriteData",
    }
    assert grants["WriteDeadLetters"][1].endswith("/customer-events-dlq")
    assert grants["OwnConsumerGroup"][1].endswith(
        ":group/${Project}-${Environment}/${Uuid}/events-lake"
    )
    script = (project / "scripts/deploy/infra.sh").read_text()
    assert "kafka_bootstrap_servers) _cfn_kafka_bootstrap" in script
    assert re.search(r"echo iam kafka compute-ecs", script)


def test_cloudformation_ecs_events_task(projects: dict[tuple[str, str, str], Path]) -> None:
    project = projects[("aws", "cloudformation", "containers")]
    stack = yaml.safe_load((project / "infra/cloudformation/compute-ecs.yaml").read_text())
    container = stack["Resources"]["EventsTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["APP_KAFKA_BOOTSTRAP_SERVERS"] == {"Ref": "KafkaBootstrapServers"}
    assert env["APP_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    egress = stack["Resources"]["JobSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert {(r["FromPort"], r["ToPort"]) for r in egress} == {(443, 443), (9098, 9098)}
    pattern = re.compile(stack["Parameters"]["KafkaBootstrapServers"]["AllowedPattern"])
    assert pattern.match(
        "b-1.x.kafka.eu-west-1.amazonaws.com:9098,b-2.x.kafka.eu-west-1.amazonaws.com:9098"
    )
    assert not pattern.match("b-1.x.kafka.eu-west-1.amazonaws.com:9092")  # plaintext listener


# ---------------------------------------------------------------- GCP Managed Kafka
def _acl_grants(module: Path, consumer: str) -> set[tuple[str, str, str]]:
    """(principal, operation, acl_id) the module's Kafka ACLs allow."""
    grants = set()
    acl_ids = {
        "${var.events_topic}": EVENTS,
        "${var.dead_letter_topic}": DLQ,
        "${var.consumer_group}": GROUP,
    }
    for (kind, _), body in hcl_blocks(module / "main.tf", "resource").items():
        if kind != "google_managed_kafka_acl":
            continue
        acl_id = body["acl_id"]
        for ref, value in acl_ids.items():
            acl_id = acl_id.replace(ref, value)
        entries: list[dict[str, Any]] = list(body.get("acl_entries", []))
        for dynamic in body.get("dynamic", []):
            spec = dynamic["acl_entries"]
            if spec["for_each"] == "${var.producer_service_accounts}":
                continue  # none by default
            for operation in spec["for_each"]:
                entries.append({**spec["content"][0], "operation": operation})
        for entry in entries:
            assert entry["permission_type"] == "ALLOW"
            principal = entry["principal"].replace("${var.consumer_service_account}", consumer)
            grants.add((principal, entry["operation"], acl_id))
    return grants


@pytest.mark.parametrize("target", TARGETS)
def test_gcp_managed_kafka(projects: dict[tuple[str, str, str], Path], target: str) -> None:
    project = projects[("gcp", "terraform", target)]
    module = project / "infra/terraform/modules/managed_kafka"
    env = project / "infra/terraform/envs/dev"
    resources = hcl_blocks(module / "main.tf", "resource")
    cluster = resources[("google_managed_kafka_cluster", "this")]
    gcp_config = _one(cluster, "gcp_config")
    assert gcp_config["kms_key"] == "${var.kms_key_id}"
    network = _one(_one(gcp_config, "access_config"), "network_configs")
    assert network == {"subnet": "${var.subnet_id}"}
    call = _module_call(env, "kafka")
    assert call["kms_key_id"] == '${module.kms.key_ids["kafka"]}'
    assert call["subnet_id"] == "${module.network.subnet_id}"
    kms = _module_call(env, "kms")["keys"]
    assert any("gcp-sa-managedkafka" in member for member in kms["kafka"])
    _assert_topics(_env_locals(env)["kafka_topics"])
    assert "managedkafka.googleapis.com" in _env_locals(env)["apis"]
    # Connecting is granted on this cluster only.
    connect = resources[("google_project_iam_member", "consumer_connect")]
    assert connect["role"] == "roles/managedkafka.client"
    assert "resource.name.startsWith" in _one(connect, "condition")["expression"]
    # Kafka ACLs, replayed for the consumer's service account.
    me = "User:events@p.iam.gserviceaccount.com"
    grants = _acl_grants(module, "events@p.iam.gserviceaccount.com")
    assert (me, "READ", f"topic/{EVENTS}") in grants
    assert (me, "WRITE", f"topic/{DLQ}") in grants
    assert (me, "READ", f"consumerGroup/{GROUP}") in grants
    assert (me, "WRITE", f"topic/{EVENTS}") not in grants  # no forged events
    assert (me, "READ", f"topic/{DLQ}") not in grants
    assert not any(op in {"ALL", "ALTER", "DELETE", "CREATE"} for _, op, _ in grants)
    assert not any(acl.startswith(("all", "topicPrefixed")) for _, _, acl in grants)


def test_gcp_cloud_run_worker_gets_the_kafka_settings(
    projects: dict[tuple[str, str, str], Path],
) -> None:
    env = projects[("gcp", "terraform", "containers")] / "infra/terraform/envs/dev"
    assert _module_call(env, "cloud_run")["environment_variables"] == "${local.kafka_environment}"


# ---------------------------------------------------------------- Azure Event Hubs
@pytest.mark.parametrize("target", TARGETS)
def test_azure_event_hubs(projects: dict[tuple[str, str, str], Path], target: str) -> None:
    project = projects[("azure", "terraform", target)]
    module = project / "infra/terraform/modules/event_hubs"
    env = project / "infra/terraform/envs/dev"
    resources = hcl_blocks(module / "main.tf", "resource")
    namespace = resources[("azurerm_eventhub_namespace", "this")]
    assert namespace["sku"] == "Premium"  # the Kafka endpoint and customer-managed keys
    assert namespace["local_authentication_enabled"] is False  # no SAS keys: Entra ID only
    assert namespace["public_network_access_enabled"] is False
    assert namespace["minimum_tls_version"] == "1.2"
    assert _one(namespace, "network_rulesets")["default_action"] == "Deny"
    cmk = resources[("azurerm_eventhub_namespace_customer_managed_key", "this")]
    assert cmk["key_vault_key_ids"] == ["${var.encryption_key.versionless_id}"]
    endpoint = resources[("azurerm_private_endpoint", "this")]
    assert _one(endpoint, "private_service_connection")["subresource_names"] == ["namespace"]
    assert ("azurerm_monitor_diagnostic_setting", "this") in resources
    call = _module_call(env, "kafka")
    assert call["encryption_key"] == '${module.secrets.keys["event-hubs"]}'
    assert call["private_endpoint_subnet_id"] == '${module.network.subnet_ids["private-endpoints"]}'
    assert "events" in call["consumer_principal_id"]
    _assert_topics(_env_locals(env)["kafka_topics"])
    # Roles on one hub each, never on the namespace: receive events, send dead letters.
    roles = {
        (body["role_definition_name"], body["scope"])
        for (kind, name), body in resources.items()
        if kind == "azurerm_role_assignment" and name.startswith("consumer")
    }
    assert roles == {
        ("Azure Event Hubs Data Receiver", "${azurerm_eventhub.this[var.events_topic].id}"),
        ("Azure Event Hubs Data Sender", "${azurerm_eventhub.this[var.dead_letter_topic].id}"),
    }
    if target == "containers":
        added = _env_locals(env)["added_apps"]
        assert "local.kafka_environment" in str(added)


# ---------------------------------------------------------------- Kubernetes
def _overlay(project: Path, tmp: Path, cidr: str) -> list[dict[str, Any]]:
    """The dev overlay as rollout.sh builds it, with the Terraform outputs filled in."""
    require("kubectl")
    copy = tmp / "kubernetes"
    shutil.copytree(project / "deploy/kubernetes", copy)
    params = copy / "overlays/dev/params.env"
    text = params.read_text()
    text = re.sub(
        r"^kafka_bootstrap_servers=.*$",
        "kafka_bootstrap_servers=broker.internal:1",
        text,
        flags=re.M,
    )
    text = re.sub(r"^kafka_broker_cidr=.*$", f"kafka_broker_cidr={cidr}", text, flags=re.M)
    params.write_text(text)
    built = subprocess.run(
        ["kubectl", "kustomize", str(copy / "overlays/dev")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(built) if doc]


def _egress_allowed(
    policies: list[dict[str, Any]], labels: dict[str, str], ip: str, port: int
) -> bool:
    """Whether any NetworkPolicy selecting the pod allows TCP egress to ip:port."""
    for policy in policies:
        spec = policy["spec"]
        selector = spec["podSelector"]
        if selector and not _selects(selector, labels):
            continue
        for rule in spec.get("egress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                address = ipaddress.ip_address(ip)
                if (
                    block
                    and address in ipaddress.ip_network(block["cidr"])
                    and not any(address in ipaddress.ip_network(e) for e in block.get("except", []))
                ):
                    return True
    return False


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        if (
            expression["operator"] == "In"
            and labels.get(expression["key"]) not in expression["values"]
        ):
            return False
    return True


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_kubernetes_events_consumer(
    projects: dict[tuple[str, str, str], Path], cloud: str, tmp_path: Path
) -> None:
    project = projects[(cloud, "terraform", "kubernetes")]
    docs = _overlay(project, tmp_path, "10.20.0.0/16")
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    deployment = by_kind[("Deployment", "events")]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "events"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = pod["containers"][0]
    assert container["args"] == ["consume", "--follow"]  # runs until stopped, not one batch
    assert "command" not in container  # the image's entrypoint (events) stays
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["limits"] and container["resources"]["requests"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["APP_KAFKA_BOOTSTRAP_SERVERS"] == "broker.internal:1"  # from params.env
    assert env["APP_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["APP_KAFKA_SASL_MECHANISM"] == "OAUTHBEARER"
    assert (env["APP_KAFKA_TOPIC"], env["APP_KAFKA_DLQ_TOPIC"], env["APP_KAFKA_GROUP_ID"]) == (
        EVENTS,
        DLQ,
        GROUP,
    )
    assert not any("secret" in str(e).lower() for e in container["env"])  # workload identity only
    assert by_kind[("PodDisruptionBudget", "events")]["spec"]["maxUnavailable"] == 1
    account = by_kind[("ServiceAccount", "events")]
    assert account["metadata"]["annotations"]  # bound to its cloud identity
    # Connections, replayed against every NetworkPolicy that selects the consumer.
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    port = BROKER_PORT[cloud]
    assert _egress_allowed(policies, labels, "10.20.3.4", port)  # a broker
    assert not _egress_allowed(policies, labels, "10.99.3.4", port)  # outside the brokers' CIDR
    assert not _egress_allowed(policies, labels, "203.0.113.9", port)  # an attacker's broker
    plaintext = {"aws": 9092, "gcp": 9093, "azure": 9092}[cloud]
    assert not _egress_allowed(policies, labels, "10.20.3.4", plaintext)
    assert not _egress_allowed(policies, labels, "169.254.169.254", 443)  # node credentials
    assert _egress_allowed(policies, labels, "52.95.0.1", 443)  # the lake, token endpoints
    # Nothing reaches the consumer: only default-deny and its own policy select it for ingress.
    for policy in policies:
        selector = policy["spec"]["podSelector"]
        if "Ingress" in policy["spec"].get("policyTypes", []) and (
            not selector or _selects(selector, labels)
        ):
            assert not policy["spec"].get("ingress"), policy["metadata"]["name"]
    # rollout.sh fills each params.env key from the Terraform output of the same name.
    outputs = (project / "infra/terraform/envs/dev/outputs.tf").read_text()
    assert 'output "kafka_bootstrap_servers"' in outputs
    assert 'output "kafka_broker_cidr"' in outputs


# ---------------------------------------------------------------- validators
def test_checkov_passes_and_catches_plaintext_kafka(
    projects: dict[tuple[str, str, str], Path], tmp_path: Path
) -> None:
    """The project's own checkov run (its pin and .checkov.yaml) passes on the AWS render; the
    same checkov on the MSK module with client-broker TLS downgraded fails on the transit check."""
    require("uv")
    project = projects[("aws", "terraform", "kubernetes")]
    result = project_checks(project, "checkov", "terraform-refs")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    pin = re.search(r'"(checkov==[0-9.]+)"', (project / "tools/check.py").read_text())
    assert pin is not None
    module = tmp_path / "msk"
    shutil.copytree(project / "infra/terraform/modules/msk", module)
    main = module / "main.tf"
    text = main.read_text()
    assert 'client_broker = "TLS"' in text
    scan = ["uv", "tool", "run", "--from", pin.group(1), "checkov", "--quiet", "--compact"]
    scan += ["--framework", "terraform", "--skip-download", "--directory", str(module)]
    clean = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-4000:]
    main.write_text(text.replace('client_broker = "TLS"', 'client_broker = "TLS_PLAINTEXT"'))
    downgraded = subprocess.run(scan, capture_output=True, text=True, check=False, timeout=900)
    assert downgraded.returncode != 0
    assert "CKV_AWS_81" in downgraded.stdout + downgraded.stderr
