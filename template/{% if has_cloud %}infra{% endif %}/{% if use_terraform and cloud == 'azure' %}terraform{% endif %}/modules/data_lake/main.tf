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

# Retention per zone: blobs under each prefix are deleted this many days after their last
# change (null keeps them forever); overwritten versions follow the account's soft delete.
resource "azurerm_storage_management_policy" "lake" {
  storage_account_id = module.account.id

  dynamic "rule" {
    for_each = { for prefix, days in var.retention_days : prefix => days if days != null }

    content {
      name    = "expire-${trim(replace(rule.key, "/", "-"), "-")}"
      enabled = true

      filters {
        prefix_match = ["${azurerm_storage_container.lake.name}/${rule.key}"]
        blob_types   = ["blockBlob"]
      }

      actions {
        base_blob {
          delete_after_days_since_modification_greater_than = rule.value
        }
        version {
          delete_after_days_since_creation = rule.value
        }
      }
    }
  }
}
