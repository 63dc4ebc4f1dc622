# Secret containers only: values are added out of band (gcloud secrets versions add, or a
# secret-rotation job), so they never appear in code, plans or Terraform state.
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
