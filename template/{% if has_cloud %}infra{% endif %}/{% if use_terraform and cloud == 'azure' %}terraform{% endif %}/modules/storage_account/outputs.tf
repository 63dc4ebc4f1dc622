output "id" {
  description = "Storage account resource ID."
  value       = azurerm_storage_account.this.id
}

output "name" {
  description = "Storage account name."
  value       = azurerm_storage_account.this.name
}

output "primary_dfs_endpoint" {
  description = "ADLS Gen2 (DFS) endpoint, resolved to the private endpoint inside the VNet."
  value       = azurerm_storage_account.this.primary_dfs_endpoint
}

output "primary_blob_endpoint" {
  description = "Blob endpoint, resolved to the private endpoint inside the VNet."
  value       = azurerm_storage_account.this.primary_blob_endpoint
}
