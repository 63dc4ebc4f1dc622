# Data Access audit logs (off by default in Google Cloud) for every service, and a sink that
# copies every audit log entry into a CMEK-encrypted log bucket with a locked retention:
# nobody, project owners included, can delete or shorten the audit trail.
resource "google_project_iam_audit_config" "all_services" {
  project = var.project_id
  service = "allServices"

  audit_log_config {
    log_type = "ADMIN_READ"
  }

  audit_log_config {
    log_type = "DATA_READ"
  }

  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

data "google_logging_project_cmek_settings" "this" {
  project = var.project_id
}

resource "google_kms_crypto_key_iam_member" "logging" {
  crypto_key_id = var.kms_key_id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${data.google_logging_project_cmek_settings.this.service_account_id}"
}

resource "google_logging_project_bucket_config" "audit" {
  project        = var.project_id
  location       = var.region
  bucket_id      = "${var.name}-audit"
  description    = "Audit logs (Admin Activity, Data Access, System Event, Policy Denied)"
  retention_days = var.retention_days
  locked         = var.lock_bucket

  cmek_settings {
    kms_key_name = var.kms_key_id
  }

  depends_on = [google_kms_crypto_key_iam_member.logging]
}

# A sink into a log bucket of the same project needs no IAM grant for its writer identity.
resource "google_logging_project_sink" "audit" {
  project                = var.project_id
  name                   = "${var.name}-audit"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.audit.id}"
  filter                 = "logName:\"cloudaudit.googleapis.com\""
  unique_writer_identity = true
}
