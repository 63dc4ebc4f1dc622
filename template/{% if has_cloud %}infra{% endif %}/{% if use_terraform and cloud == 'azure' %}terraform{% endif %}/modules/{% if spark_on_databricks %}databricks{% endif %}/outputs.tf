output "workspace_id" {
  description = "ARM ID of the workspace (the databricks provider's azure_workspace_resource_id)."
  value       = azurerm_databricks_workspace.this.id
}

output "workspace_url" {
  description = "Host of the workspace's REST API (adb-<id>.<n>.azuredatabricks.net), private endpoint only."
  value       = azurerm_databricks_workspace.this.workspace_url
}

output "access_connector_id" {
  description = "ARM ID of the access connector (Unity Catalog's storage credential)."
  value       = azurerm_databricks_access_connector.this.id
}
