output "id" {
  description = "API Management service ID."
  value       = azurerm_api_management.this.id
}

output "product_id" {
  description = "Product each client subscribes to (az apim ... subscription create --scope /products/<this>)."
  value       = azurerm_api_management_product.clients.product_id
}

output "gateway_name" {
  description = "Self-hosted gateway resource the pods in AKS sign in as (its token: `scripts/deploy.sh gateway-token <env>`)."
  value       = azurerm_api_management_gateway.aks.name
}

output "configuration_endpoint" {
  description = "Configuration endpoint the self-hosted gateway pulls its configuration from (config.service.endpoint)."
  value       = "${azurerm_api_management.this.name}.configuration.azure-api.net"
}
