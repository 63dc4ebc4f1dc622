output "security_policy_id" {
  description = "Cloud Armor policy for a backend service (security_policy)."
  value       = google_compute_security_policy.serving.id
}

output "security_policy_name" {
  description = "Cloud Armor policy name, as a GKE BackendConfig names it (securityPolicy.name)."
  value       = google_compute_security_policy.serving.name
}

output "ssl_policy_id" {
  description = "TLS policy for a target HTTPS proxy (ssl_policy)."
  value       = google_compute_ssl_policy.serving.id
}

output "ssl_policy_name" {
  description = "TLS policy name, as a GKE FrontendConfig names it (sslPolicy)."
  value       = google_compute_ssl_policy.serving.name
}
