# Azure Event Hubs (Premium) as the Kafka endpoint of the events service
# (docs/adr/0021-event-ingestion.md): Premium for customer-managed keys and isolated capacity;
# no shared access keys (local authentication off: Entra ID tokens only, OAUTHBEARER), TLS 1.2
# or later on port 9093, no public network access (a private endpoint in the VNet), storage
# encrypted with this project's Key Vault key, logs to Log Analytics.
resource "azurerm_user_assigned_identity" "cmk" {
  name                = "id-${var.name}-cmk"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

# The identity must be able to wrap/unwrap with the key before the namespace uses it.
resource "azurerm_role_assignment" "key_user" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.cmk.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_eventhub_namespace" "this" {
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "Premium"
  capacity                      = var.processing_units
  local_authentication_enabled  = false
  public_network_access_enabled = false
  minimum_tls_version           = "1.2"
  tags                          = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.cmk.id]
  }

  network_rulesets {
    default_action                 = "Deny"
    public_network_access_enabled  = false
    trusted_service_access_enabled = false
  }
}

resource "azurerm_eventhub_namespace_customer_managed_key" "this" {
  eventhub_namespace_id             = azurerm_eventhub_namespace.this.id
  key_vault_key_ids                 = [var.encryption_key.versionless_id]
  user_assigned_identity_id         = azurerm_user_assigned_identity.cmk.id
  infrastructure_encryption_enabled = true

  depends_on = [azurerm_role_assignment.key_user]
}

# One event hub per Kafka topic; Kafka consumer groups are created by the clients (Event Hubs
# manages them, they need no resource).
resource "azurerm_eventhub" "this" {
  for_each = var.topics

  name            = each.key
  namespace_id    = azurerm_eventhub_namespace.this.id
  partition_count = each.value.partitions

  retention_description {
    cleanup_policy          = "Delete"
    retention_time_in_hours = each.value.retention_days * 24
  }
}

resource "azurerm_private_endpoint" "this" {
  name                = "pe-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "psc-${var.name}"
    private_connection_resource_id = azurerm_eventhub_namespace.this.id
    subresource_names              = ["namespace"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

# Least privilege in Entra ID: the events identity receives from the events hub only and
# sends to the dead-letter hub only; nothing on the namespace.
resource "azurerm_role_assignment" "consumer_receives_events" {
  scope                = azurerm_eventhub.this[var.events_topic].id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = var.consumer_principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "consumer_sends_dead_letters" {
  scope                = azurerm_eventhub.this[var.dead_letter_topic].id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = var.consumer_principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "producers_send_events" {
  for_each = var.producer_principal_ids

  scope                = azurerm_eventhub.this[var.events_topic].id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = each.value
  principal_type       = "ServicePrincipal"
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_eventhub_namespace.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
