# Amazon MSK (provisioned) for the events service (docs/adr/0021-event-ingestion.md): IAM
# access control only (SASL/IAM on port 9098, no passwords, no unauthenticated listener), TLS
# between clients and brokers and between brokers, storage encrypted with this project's own
# KMS key, brokers in the private subnets only, broker logs to CloudWatch Logs.
# Provisioned rather than Serverless: MSK Serverless encrypts with an AWS-owned key only and
# has no topic API in Terraform; provisioned takes our key and manages topics (aws_msk_topic).
data "aws_region" "current" {}

locals {
  broker_count       = length(var.subnet_ids) * var.brokers_per_zone
  replication_factor = min(3, local.broker_count)
  # Every write is on at least two brokers before it is acknowledged (acks=all), when there are two.
  min_insync_replicas = max(1, local.replication_factor - 1)
  # arn:...:cluster/<name>/<uuid> -> arn:...:topic/<name>/<uuid>/<topic>, .../group/<name>/<uuid>/<group>
  topic_arn_prefix = replace(aws_msk_cluster.this.arn, ":cluster/", ":topic/")
  group_arn_prefix = replace(aws_msk_cluster.this.arn, ":cluster/", ":group/")
}

module "key" {
  source = "../kms_key"

  alias       = "${var.name}-kafka"
  description = "${var.name}: Kafka broker storage (MSK)"
}

resource "aws_security_group" "brokers" {
  name        = "${var.name}-kafka"
  description = "MSK brokers: SASL/IAM over TLS from inside the VPC only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-kafka" }
}

resource "aws_vpc_security_group_ingress_rule" "iam_tls_from_vpc" {
  security_group_id = aws_security_group.brokers.id
  description       = "Kafka clients (SASL/IAM over TLS) in the VPC"
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
  cidr_ipv4         = var.client_cidr
}

resource "aws_cloudwatch_log_group" "brokers" {
  name              = "/aws/msk/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
}

resource "aws_msk_configuration" "this" {
  name           = var.name
  description    = "Brokers of ${var.name}: no automatic topics, no unclean leader election"
  kafka_versions = [var.kafka_version]

  server_properties = <<-EOT
    auto.create.topics.enable=false
    unclean.leader.election.enable=false
    default.replication.factor=${local.replication_factor}
    min.insync.replicas=${local.min_insync_replicas}
  EOT
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = local.broker_count
  enhanced_monitoring    = "PER_TOPIC_PER_PARTITION"

  broker_node_group_info {
    instance_type   = var.broker_instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.brokers.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.broker_volume_gb
      }
    }

    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  client_authentication {
    unauthenticated = false

    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = module.key.arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.brokers.name
      }
    }
  }
}

# Topics through the MSK API (no network path from Terraform to the brokers needed).
resource "aws_msk_topic" "this" {
  for_each = var.topics

  cluster_arn        = aws_msk_cluster.this.arn
  name               = each.key
  partition_count    = each.value.partitions
  replication_factor = local.replication_factor
  configs = jsonencode({
    "cleanup.policy"      = "delete"
    "retention.ms"        = tostring(each.value.retention_days * 86400000)
    "min.insync.replicas" = tostring(local.min_insync_replicas)
  })
}

# The consumer's least privilege: connect, read the events topic as its own group, write the
# dead-letter topic (idempotent producer), nothing else: no topic creation, no other topic.
data "aws_iam_policy_document" "consumer" {
  statement {
    sid       = "Connect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"]
    resources = [aws_msk_cluster.this.arn]
  }

  statement {
    sid       = "ReadEvents"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.topic_arn_prefix}/${var.events_topic}"]
  }

  statement {
    sid       = "OwnConsumerGroup"
    actions   = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
    resources = ["${local.group_arn_prefix}/${var.consumer_group}"]
  }

  statement {
    sid       = "WriteDeadLetters"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
    resources = ["${local.topic_arn_prefix}/${var.dead_letter_topic}"]
  }
}

resource "aws_iam_role_policy" "consumer" {
  name   = "kafka-consumer"
  role   = var.consumer_role_name
  policy = data.aws_iam_policy_document.consumer.json
}

# What a producer of customer events needs: connect and write the events topic, nothing else.
# Output as JSON for the producing system's role (CI may not create IAM policies itself).
data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "Connect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"]
    resources = [aws_msk_cluster.this.arn]
  }

  statement {
    sid       = "WriteEvents"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
    resources = ["${local.topic_arn_prefix}/${var.events_topic}"]
  }
}
