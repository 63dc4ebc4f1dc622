output "key_ids" {
  description = "Key name => crypto key id, usable once its service agents may encrypt with it."
  value       = { for name, key in google_kms_crypto_key.this : name => key.id }
  depends_on  = [google_kms_crypto_key_iam_member.encrypters]
}

output "key_ring_id" {
  description = "Key ring of the environment's keys."
  value       = google_kms_key_ring.this.id
}
