# The data lake bucket (raw, quarantine, features, reference, lineage, reports prefixes) and
# the bucket that receives its access logs. Both: CMEK, uniform bucket-level access, public
# access prevention enforced, TLS only (GCS serves HTTPS only).
resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This bucket is the access-log sink; logging it into itself would loop.
  #checkov:skip=CKV_GCP_78:A locked-down retention policy protects the logs; GCS forbids versioning together with a retention policy.
  project                     = var.project_id
  name                        = "${var.bucket_name}-logs"
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  encryption {
    default_kms_key_name = var.kms_key_id
  }

  retention_policy {
    retention_period = var.access_log_retention_days * 86400
    is_locked        = var.lock_retention
  }

  lifecycle_rule {
    condition {
      age = var.access_log_retention_days + 1
    }
    action {
      type = "Delete"
    }
  }
}

# Cloud Storage usage and storage logs are written by this Google-owned group.
resource "google_storage_bucket_iam_member" "access_log_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}

resource "google_storage_bucket" "lake" {
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = var.location
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
    retention_duration_seconds = var.soft_delete_days * 86400
  }

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = var.bucket_name
  }

  # Raw partitions are immutable inputs read mostly by re-runs: move them to cheaper
  # storage once they are no longer hot.
  lifecycle_rule {
    condition {
      age            = var.raw_nearline_after_days
      matches_prefix = ["lake/raw/"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age            = var.quarantine_retention_days
      matches_prefix = ["lake/quarantine/"]
    }
    action {
      type = "Delete"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.raw_retention_days == null ? [] : [var.raw_retention_days]

    content {
      condition {
        age            = lifecycle_rule.value
        matches_prefix = ["lake/raw/"]
      }
      action {
        type = "Delete"
      }
    }
  }

  lifecycle_rule {
    condition {
      age            = var.reports_retention_days
      matches_prefix = ["reports/"]
    }
    action {
      type = "Delete"
    }
  }

  # Versioning keeps overwritten and deleted objects; they are kept for a bounded time only.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }
}
