# VNet flow logs: a CMK-encrypted, private archive plus traffic analytics in Log Analytics.
module "archive" {
  source = "../storage_account"

  name                       = var.storage_account_name
  location                   = var.location
  resource_group_name        = var.resource_group_name
  encryption_key             = var.encryption_key
  private_endpoint_subnet_id = var.private_endpoint_subnet_id
  private_dns_zone_ids       = { blob = var.blob_private_dns_zone_id }
  log_analytics_workspace_id = var.log_analytics_workspace.id
  tags                       = var.tags
}

resource "azurerm_network_watcher_flow_log" "vnet" {
  name                 = "fl-${var.name}-vnet"
  network_watcher_name = var.network_watcher_name
  resource_group_name  = var.network_watcher_resource_group_name
  location             = var.location
  target_resource_id   = var.vnet_id
  storage_account_id   = module.archive.id
  enabled              = true
  version              = 2
  tags                 = var.tags

  retention_policy {
    enabled = true
    days    = var.retention_days
  }

  traffic_analytics {
    enabled               = true
    workspace_id          = var.log_analytics_workspace.guid
    workspace_region      = var.log_analytics_workspace.location
    workspace_resource_id = var.log_analytics_workspace.id
    interval_in_minutes   = 10
  }
}
