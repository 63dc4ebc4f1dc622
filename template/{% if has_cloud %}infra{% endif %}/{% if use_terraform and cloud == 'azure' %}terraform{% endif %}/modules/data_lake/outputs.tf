output "storage_account_id" {
  description = "Data lake storage account resource ID."
  value       = module.account.id
}

output "storage_account_name" {
  description = "Data lake storage account name."
  value       = module.account.name
}

output "container_name" {
  description = "File system (container) holding the lake."
  value       = azurerm_storage_container.lake.name
}

output "container_id" {
  description = "ARM ID of the container: the scope of the services' data role assignments."
  value       = "${module.account.id}/blobServices/default/containers/${azurerm_storage_container.lake.name}"
}

output "url" {
  description = "abfss:// URL of the lake file system."
  value       = "abfss://${azurerm_storage_container.lake.name}@${trimsuffix(trimprefix(module.account.primary_dfs_endpoint, "https://"), "/")}"
}
