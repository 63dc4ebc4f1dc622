output "environment_id" {
  description = "Container Apps environment ID."
  value       = azurerm_container_app_environment.this.id
}

output "service_names" {
  description = "Container app or job name by service."
  value = merge(
    { for service, app in azurerm_container_app.this : service => app.name },
    { for service, job in azurerm_container_app_job.this : service => job.name },
  )
}

output "resource_ids" {
  description = "Container app or job resource ID by service (scope of the CI deploy role)."
  value = merge(
    { for service, app in azurerm_container_app.this : service => app.id },
    { for service, job in azurerm_container_app_job.this : service => job.id },
  )
}

output "internal_urls" {
  description = "VNet-internal HTTPS URL by long-running service with ingress."
  value       = { for service, app in azurerm_container_app.this : service => "https://${app.ingress[0].fqdn}" if length(app.ingress) > 0 }
}
