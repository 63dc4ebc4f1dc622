# The data lake: a hardened ADLS Gen2 account with one private file system.
module "account" {
  source = "../storage_account"

  name                           = var.storage_account_name
  location                       = var.location
  resource_group_name            = var.resource_group_name
  hierarchical_namespace_enabled = var.hierarchical_namespace_enabled
  replication_type               = var.replication_type
  soft_delete_retention_days     = var.soft_delete_retention_days
  encryption_key                 = var.encryption_key
  private_endpoint_subnet_id     = var.private_endpoint_subnet_id
  private_dns_zone_ids           = { blob = var.private_dns_zone_ids.blob, dfs = var.private_dns_zone_ids.dfs }
  log_analytics_workspace_id     = var.log_analytics_workspace_id
  tags                           = var.tags
}

# Created through Azure Resource Manager (storage_account_id), so Terraform needs no data-plane
# access to the private-only account.
resource "azurerm_storage_container" "lake" {
  name                  = var.container_name
  storage_account_id    = module.account.id
  container_access_type = "private"
}
