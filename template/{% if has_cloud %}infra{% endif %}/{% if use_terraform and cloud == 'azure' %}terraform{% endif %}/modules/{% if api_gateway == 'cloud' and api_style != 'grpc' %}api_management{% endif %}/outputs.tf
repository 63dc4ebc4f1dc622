output "url" {
  description = "Public HTTPS URL of the API on the gateway."
  value       = "${azurerm_api_management.this.gateway_url}/${var.path}"
}

output "id" {
  description = "API Management service ID."
  value       = azurerm_api_management.this.id
}

output "product_id" {
  description = "Product each client subscribes to (az apim ... subscription create --scope /products/<this>)."
  value       = azurerm_api_management_product.clients.product_id
}

output "gateway_host" {
  description = "Host name of the gateway (<name>.azure-api.net): Front Door's origin."
  value       = trimprefix(azurerm_api_management.this.gateway_url, "https://")
}
