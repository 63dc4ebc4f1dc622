output "service_name" {
  description = "Cloud Endpoints service name (ESPv2 --service); consumers enable it in their project and restrict their API keys to it."
  value       = google_endpoints_service.this.service_name
}

output "config_id" {
  description = "Service config the last apply rolled out (ESPv2 follows it with --rollout_strategy=managed)."
  value       = google_endpoints_service.this.config_id
}

output "security_policy_name" {
  description = "Cloud Armor policy the serving Ingress's BackendConfig names (securityPolicy.name)."
  value       = module.edge.security_policy_name
}

output "ssl_policy_name" {
  description = "TLS policy the serving Ingress's FrontendConfig names (sslPolicy)."
  value       = module.edge.ssl_policy_name
}
