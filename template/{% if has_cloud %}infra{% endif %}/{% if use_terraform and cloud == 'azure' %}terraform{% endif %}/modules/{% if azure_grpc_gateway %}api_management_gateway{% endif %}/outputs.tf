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

output "serving_certificate_name" {
  description = "Key Vault certificate (and secret: key and chain, PEM) serving presents to the gateway (params.env: serving_tls_credential_name)."
  value       = azurerm_key_vault_certificate.serving_tls.name
}

output "serving_certificate_secret_id" {
  description = "ARM ID of the Key Vault secret behind serving's certificate (scope of serving's reader role)."
  value       = "${var.key_vault_id}/secrets/${azurerm_key_vault_certificate.serving_tls.name}"
}
