output "log_analytics_workspace_id" {
  description = "Log Analytics workspace resource ID (destination of every diagnostic setting)."
  value       = azurerm_log_analytics_workspace.this.id
}

output "log_analytics_workspace_guid" {
  description = "Workspace GUID, required by traffic analytics."
  value       = azurerm_log_analytics_workspace.this.workspace_id
}

output "log_analytics_workspace_location" {
  description = "Region of the workspace."
  value       = azurerm_log_analytics_workspace.this.location
}

output "action_group_id" {
  description = "Action group that alerts notify."
  value       = azurerm_monitor_action_group.security.id
}
