output "url" {
  description = "Public HTTPS URL of the gateway (https://<gateway>.<region>.gateway.dev)."
  value       = "https://${google_api_gateway_gateway.this.default_hostname}"
}

output "managed_service" {
  description = "Managed service consumers enable in their project and restrict their API keys to."
  value       = google_api_gateway_api.this.managed_service
}

output "backend_caller_member" {
  description = "IAM member the gateway calls the backend as (grant it the invoker role, nothing else)."
  value       = "serviceAccount:${google_service_account.gateway.email}"
}
