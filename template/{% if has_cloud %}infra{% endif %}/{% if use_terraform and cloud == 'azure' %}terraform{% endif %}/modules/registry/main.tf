# Private Premium registry: Entra ID auth only, CMK encryption, reachable only through its
# private endpoint (registry + dedicated data endpoints), untagged manifests purged.

resource "azurerm_user_assigned_identity" "registry" {
  name                = "id-${var.name}-cmk"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_role_assignment" "key_user" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.registry.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_container_registry" "this" {
  #checkov:skip=CKV_AZURE_164:Docker Content Trust is retired by Azure and trust_policy_enabled was removed in azurerm 5.x; only the CI identity (AcrPush, Entra ID) can push, and quarantine holds each image until it is scanned
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "Premium"
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = false
  export_policy_enabled         = false
  data_endpoint_enabled         = true
  zone_redundancy_enabled       = true
  quarantine_policy_enabled     = var.quarantine_policy_enabled
  retention_policy_in_days      = var.untagged_retention_days
  network_rule_bypass_option    = "AzureServices"
  tags                          = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.registry.id]
  }

  encryption {
    key_vault_key_id   = var.encryption_key.versionless_id
    identity_client_id = azurerm_user_assigned_identity.registry.client_id
  }

  dynamic "georeplications" {
    for_each = toset(var.georeplication_locations)

    content {
      location                        = georeplications.value
      zone_redundancy_enabled         = true
      global_endpoint_routing_enabled = true
      tags                            = var.tags
    }
  }

  depends_on = [azurerm_role_assignment.key_user]
}

resource "azurerm_private_endpoint" "registry" {
  name                = "pe-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "psc-${var.name}"
    private_connection_resource_id = azurerm_container_registry.this.id
    subresource_names              = ["registry"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

resource "azurerm_monitor_diagnostic_setting" "registry" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_container_registry.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category = "ContainerRegistryLoginEvents"
  }

  enabled_log {
    category = "ContainerRegistryRepositoryEvents"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
