output "id" {
  description = "Registry resource ID (scope of AcrPull/AcrPush assignments)."
  value       = azurerm_container_registry.this.id
}

output "name" {
  description = "Registry name, as `az acr login --name` expects it."
  value       = azurerm_container_registry.this.name
}

output "login_server" {
  description = "Registry host name images are pushed to."
  value       = azurerm_container_registry.this.login_server
}
