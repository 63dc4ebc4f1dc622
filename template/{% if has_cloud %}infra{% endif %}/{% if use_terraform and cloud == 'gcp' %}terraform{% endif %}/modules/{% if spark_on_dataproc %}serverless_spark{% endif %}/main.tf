# Serverless for Apache Spark runs the features job as a batch (docs/adr/0024-managed-spark.md):
# no cluster, nothing running between jobs. This module gives the batch what it needs and
# nothing more: its own service account (Dataproc Worker, the features service's lake prefixes,
# its staging bucket), a CMEK-encrypted staging bucket, and the intra-subnet traffic Spark's
# driver and executors need in the private subnet. The pseudonymisation key's secret and the
# registry are granted where every reader of them is listed (envs/*/main.tf).
resource "google_service_account" "batch" {
  project      = var.project_id
  account_id   = "features-spark-${var.environment}"
  display_name = "features Spark batches (${var.environment})"
  description  = "Runtime identity of the features job on Serverless for Apache Spark"
}

# The role every Serverless Spark batch's service account must hold: the batch's own
# heartbeats, logs and metrics; no data access.
resource "google_project_iam_member" "worker" {
  project = var.project_id
  role    = "roles/dataproc.worker"
  member  = google_service_account.batch.member
}

# ---------------------------------------------------------------- the lake
# The features service's prefixes only, by IAM condition on the object name: the lake bucket is
# shared by every service. Listing object names is a bucket-level permission.
locals {
  lake_objects = "projects/_/buckets/${var.data_lake_bucket}/objects/"
  lake_read    = distinct(concat(var.lake_read_prefixes, var.lake_write_prefixes))
}

resource "google_storage_bucket_iam_member" "lake_list" {
  bucket = var.data_lake_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.batch.member

  condition {
    title       = "list-lake"
    description = "Bucket-level permissions only (list object names)"
    expression  = "resource.type == \"storage.googleapis.com/Bucket\""
  }
}

resource "google_storage_bucket_iam_member" "lake_read" {
  bucket = var.data_lake_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.batch.member

  condition {
    title       = "read-features-prefixes"
    description = "Read objects under ${join(", ", local.lake_read)}"
    expression  = join(" || ", [for prefix in local.lake_read : "resource.name.startsWith(\"${local.lake_objects}${prefix}\")"])
  }
}

resource "google_storage_bucket_iam_member" "lake_write" {
  bucket = var.data_lake_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.batch.member

  condition {
    title       = "write-features-prefixes"
    description = "Create, replace and delete objects under ${join(", ", var.lake_write_prefixes)}"
    expression  = join(" || ", [for prefix in var.lake_write_prefixes : "resource.name.startsWith(\"${local.lake_objects}${prefix}\")"])
  }
}

# ---------------------------------------------------------------- staging bucket
# Where Serverless Spark keeps each batch's dependencies, configuration and driver output:
# CMEK, uniform access, never public, versioned, emptied after staging_retention_days.
resource "google_storage_bucket" "staging" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.environment}-spark-staging"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  encryption {
    default_kms_key_name = var.kms_key_id
  }

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = 7 * 86400
  }

  logging {
    log_bucket        = var.access_log_bucket
    log_object_prefix = "spark-staging"
  }

  lifecycle_rule {
    condition {
      age = var.staging_retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "staging" {
  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.objectUser"
  member = google_service_account.batch.member
}

# Serverless Spark reads the staging bucket's metadata (location, encryption) before a batch.
resource "google_storage_bucket_iam_member" "staging_metadata" {
  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.legacyBucketReader"
  member = google_service_account.batch.member
}

# ---------------------------------------------------------------- network
# Serverless Spark's driver and executors talk to each other on any port inside the subnet
# (the subnet has Private Google Access, modules/network): allowed between this service
# account's workers only, both directions, logged. The network's default deny covers the rest.
resource "google_compute_firewall" "intra_batch_ingress" {
  project   = var.project_id
  name      = "${var.name}-spark-intra-ingress"
  network   = var.network_id
  direction = "INGRESS"
  priority  = 900

  allow {
    protocol = "all"
  }

  source_service_accounts = [google_service_account.batch.email]
  target_service_accounts = [google_service_account.batch.email]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "intra_batch_egress" {
  project   = var.project_id
  name      = "${var.name}-spark-intra-egress"
  network   = var.network_id
  direction = "EGRESS"
  priority  = 900

  allow {
    protocol = "all"
  }

  destination_ranges      = [var.subnet_cidr]
  target_service_accounts = [google_service_account.batch.email]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# ---------------------------------------------------------------- who may submit
# Submitting a batch that runs as this service account needs actAs on it (and batch creation
# in the project): granted to the members listed in submitter_members, on this account only.
resource "google_service_account_iam_member" "submitters" {
  for_each = toset(var.submitter_members)

  service_account_id = google_service_account.batch.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}

resource "google_project_iam_member" "submitters" {
  for_each = toset(var.submitter_members)

  project = var.project_id
  role    = "roles/dataproc.serverlessEditor"
  member  = each.value
}

# The pipeline runs that submit the batch themselves (orchestration=kubeflow: the features step,
# as the run's Kubernetes service account): a custom role with exactly what the step calls
# (create the batch, read its state, cancel its operation past the step's wait) and actAs on
# this account only, so a run cannot start a batch as any other identity.
resource "google_project_iam_custom_role" "pipeline" {
  count = length(var.pipeline_members) > 0 ? 1 : 0

  project     = var.project_id
  role_id     = "${replace(var.name, "-", "_")}_pipeline_spark_batches"
  title       = "${var.name} pipeline: submit the features batch"
  description = "Create a Serverless for Apache Spark batch, follow it and cancel it (the Kubeflow pipeline's features step)."
  permissions = [
    "dataproc.batches.create",
    "dataproc.batches.get",
    "dataproc.operations.get",
    "dataproc.operations.cancel",
  ]
}

resource "google_project_iam_member" "pipeline" {
  for_each = toset(var.pipeline_members)

  project = var.project_id
  role    = google_project_iam_custom_role.pipeline[0].name
  member  = each.value
}

resource "google_service_account_iam_member" "pipeline_act_as" {
  for_each = toset(var.pipeline_members)

  service_account_id = google_service_account.batch.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
