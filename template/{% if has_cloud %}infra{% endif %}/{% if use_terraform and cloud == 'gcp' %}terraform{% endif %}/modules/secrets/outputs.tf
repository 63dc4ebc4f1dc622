output "secret_ids" {
  description = "Secret name => secret id (what workloads reference)."
  value       = { for name, secret in google_secret_manager_secret.this : name => secret.secret_id }
  depends_on  = [google_secret_manager_secret_iam_member.accessors]
}
