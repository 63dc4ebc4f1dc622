# One hardened storage account: CMK with infrastructure (double) encryption, Entra ID only
# (no shared keys, no SAS, no local users), reachable only through private endpoints, every
# data-plane request logged to Log Analytics. The data lake and the flow-log archive reuse it.

resource "azurerm_user_assigned_identity" "this" {
  name                = "id-${var.name}-cmk"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

# The identity must be able to wrap/unwrap with the key before the account is created with it.
resource "azurerm_role_assignment" "key_user" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_43:the name is checked by var.name's validation (3-24 lowercase letters and digits); checkov cannot evaluate the subscription-derived suffix
  #checkov:skip=CKV_AZURE_33:queue_properties was removed from azurerm 5.x; queue read/write/delete requests are logged by the queue diagnostic setting below instead
  name                              = var.name
  location                          = var.location
  resource_group_name               = var.resource_group_name
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = var.replication_type
  is_hns_enabled                    = var.hierarchical_namespace_enabled
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  public_network_access_enabled     = false
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  queue_encryption_key_type         = "Account"
  table_encryption_key_type         = "Account"
  tags                              = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.this.id]
  }

  customer_managed_key {
    key_vault_key_id          = var.encryption_key.versionless_id
    user_assigned_identity_id = azurerm_user_assigned_identity.this.id
  }

  # Deny everything that is not a private endpoint; trusted Azure services (flow logs,
  # diagnostics) still reach the account through the platform.
  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  blob_properties {
    versioning_enabled  = !var.hierarchical_namespace_enabled
    change_feed_enabled = !var.hierarchical_namespace_enabled

    delete_retention_policy {
      days = var.soft_delete_retention_days
    }

    container_delete_retention_policy {
      days = var.soft_delete_retention_days
    }
  }

  # Shared keys are disabled, so no SAS can be signed; the policy is a second line of defence.
  sas_policy {
    expiration_period = "00.01:00:00"
    expiration_action = "Log"
  }

  depends_on = [azurerm_role_assignment.key_user]
}

resource "azurerm_private_endpoint" "this" {
  for_each = var.private_dns_zone_ids

  name                = "pe-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "psc-${var.name}-${each.key}"
    private_connection_resource_id = azurerm_storage_account.this.id
    subresource_names              = [each.key]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [each.value]
  }
}

# Storage analytics logging for blob (and the DFS endpoint, which is served by the blob service).
resource "azurerm_monitor_diagnostic_setting" "blob" {
  name                       = "to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.this.id}/blobServices/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }

  enabled_metric {
    category = "Transaction"
  }
}

# Queues are unused, but any request to them must still leave a trace.
resource "azurerm_monitor_diagnostic_setting" "queue" {
  name                       = "to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.this.id}/queueServices/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }
}

resource "azurerm_monitor_diagnostic_setting" "account" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_storage_account.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_metric {
    category = "Transaction"
  }
}
