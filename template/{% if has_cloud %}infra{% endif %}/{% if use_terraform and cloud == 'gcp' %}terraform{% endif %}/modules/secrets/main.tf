# Secret containers: values are added out of band (gcloud secrets versions add, or a
# secret-rotation job), so they never appear in code, plans or Terraform state. A generated
# secret (the pseudonymisation key) gets its one version from an ephemeral random value through
# a write-only argument: nothing of it lands in state or plans either.
resource "google_secret_manager_secret" "this" {
  for_each = var.secrets

  project   = var.project_id
  secret_id = "${var.name}-${each.key}"
  labels    = var.labels

  annotations = {
    description = each.value.description
  }

  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = var.kms_key_id
        }
      }
    }
  }
}

# Keyed by position, not by member: service account e-mails are unknown until apply.
resource "google_secret_manager_secret_iam_member" "accessors" {
  for_each = {
    for pair in flatten([
      for secret, spec in var.secrets : [
        for index, member in spec.accessors : { id = "${secret}/${index}", secret = secret, member = member }
      ]
    ]) : pair.id => pair
  }

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}

locals {
  generated = toset([for name, spec in var.secrets : name if spec.generated])
}

ephemeral "random_password" "generated" {
  for_each = local.generated

  length  = 64
  special = false
}

# Written once (version 1): bump secret_data_wo_version only to rotate on purpose.
resource "google_secret_manager_secret_version" "generated" {
  for_each = local.generated

  secret                 = google_secret_manager_secret.this[each.key].id
  secret_data_wo         = ephemeral.random_password.generated[each.key].result
  secret_data_wo_version = 1
}
