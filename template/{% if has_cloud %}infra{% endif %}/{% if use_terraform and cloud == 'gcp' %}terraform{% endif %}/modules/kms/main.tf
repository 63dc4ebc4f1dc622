# One key ring per environment, one symmetric key per purpose: a key can be disabled or
# rotated for one data class (lake, registry, secrets, ...) without touching the others,
# and each service agent is granted only the key it encrypts with.
resource "google_kms_key_ring" "this" {
  project  = var.project_id
  name     = var.name
  location = var.region
}

resource "google_kms_crypto_key" "this" {
  for_each = var.keys

  name            = each.key
  key_ring        = google_kms_key_ring.this.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = var.rotation_period
  labels          = var.labels

  # A destroyed key makes every object encrypted with it unreadable, for good.
  destroy_scheduled_duration = "2592000s"

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = var.protection_level
  }

  lifecycle {
    prevent_destroy = true
  }
}

# Keyed by position, not by member: service agent e-mails are often unknown until apply.
resource "google_kms_crypto_key_iam_member" "encrypters" {
  for_each = {
    for pair in flatten([
      for key, members in var.keys : [
        for index, member in members : { id = "${key}/${index}", key = key, member = member }
      ]
    ]) : pair.id => pair
  }

  crypto_key_id = google_kms_crypto_key.this[each.value.key].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value.member
}
