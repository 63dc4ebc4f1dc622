# Google Cloud Managed Service for Apache Kafka for the events service
# (docs/adr/0021-event-ingestion.md): reachable only through Private Service Connect endpoints
# in the private subnet, TLS on every listener, clients authenticate with their service
# account (SASL OAUTHBEARER with a Google access token; no passwords), storage encrypted with
# this project's Cloud KMS key. Kafka ACLs restrict the topics and the consumer group to the
# identities that need them; any other principal is denied on those resources.
locals {
  # The bootstrap address Google documents for a cluster (private DNS in the subnet's VPC).
  bootstrap_servers = "bootstrap.${google_managed_kafka_cluster.this.cluster_id}.${var.region}.managedkafka.${var.project_id}.cloud.goog:9092"
  cluster_path      = "projects/${var.project_id}/locations/${var.region}/clusters/${var.name}"
}

resource "google_managed_kafka_cluster" "this" {
  project    = var.project_id
  cluster_id = var.name
  location   = var.region
  labels     = var.labels

  capacity_config {
    vcpu_count   = var.vcpu_count
    memory_bytes = var.memory_bytes
  }

  gcp_config {
    kms_key = var.kms_key_id

    access_config {
      network_configs {
        subnet = var.subnet_id
      }
    }
  }

  rebalance_config {
    mode = "AUTO_REBALANCE_ON_SCALE_UP"
  }
}

resource "google_managed_kafka_topic" "this" {
  for_each = var.topics

  project            = var.project_id
  topic_id           = each.key
  cluster            = google_managed_kafka_cluster.this.cluster_id
  location           = var.region
  partition_count    = each.value.partitions
  replication_factor = 3

  configs = {
    "cleanup.policy"      = "delete"
    "retention.ms"        = tostring(each.value.retention_days * 86400000)
    "min.insync.replicas" = "2"
  }
}

# Connecting needs managedkafka.clusters.connect: granted on this cluster only (IAM condition).
resource "google_project_iam_member" "consumer_connect" {
  project = var.project_id
  role    = "roles/managedkafka.client"
  member  = "serviceAccount:${var.consumer_service_account}"

  condition {
    title       = "kafka-${var.name}-only"
    description = "Connect to the ${var.name} Kafka cluster and no other"
    expression  = "resource.name.startsWith(\"${local.cluster_path}\")"
  }
}

# Kafka ACLs: read the events topic, write the dead-letter topic, use its own consumer group.
resource "google_managed_kafka_acl" "events_topic" {
  project  = var.project_id
  cluster  = google_managed_kafka_cluster.this.cluster_id
  location = var.region
  acl_id   = "topic/${var.events_topic}"

  dynamic "acl_entries" {
    for_each = ["READ", "DESCRIBE"]

    content {
      principal       = "User:${var.consumer_service_account}"
      permission_type = "ALLOW"
      operation       = acl_entries.value
      host            = "*"
    }
  }

  dynamic "acl_entries" {
    for_each = var.producer_service_accounts

    content {
      principal       = "User:${acl_entries.value}"
      permission_type = "ALLOW"
      operation       = "WRITE"
      host            = "*"
    }
  }

  depends_on = [google_managed_kafka_topic.this]
}

resource "google_managed_kafka_acl" "dead_letter_topic" {
  project  = var.project_id
  cluster  = google_managed_kafka_cluster.this.cluster_id
  location = var.region
  acl_id   = "topic/${var.dead_letter_topic}"

  dynamic "acl_entries" {
    for_each = ["WRITE", "DESCRIBE"]

    content {
      principal       = "User:${var.consumer_service_account}"
      permission_type = "ALLOW"
      operation       = acl_entries.value
      host            = "*"
    }
  }

  depends_on = [google_managed_kafka_topic.this]
}

resource "google_managed_kafka_acl" "consumer_group" {
  project  = var.project_id
  cluster  = google_managed_kafka_cluster.this.cluster_id
  location = var.region
  acl_id   = "consumerGroup/${var.consumer_group}"

  acl_entries {
    principal       = "User:${var.consumer_service_account}"
    permission_type = "ALLOW"
    operation       = "READ"
    host            = "*"
  }
}
