# Audit and operational monitoring: one Log Analytics workspace receives the subscription
# Activity Log, every resource's diagnostic logs, container insights and VNet flow analytics;
# activity-log alerts page on changes that weaken security.

resource "azurerm_log_analytics_workspace" "this" {
  name                         = "log-${var.name}"
  location                     = var.location
  resource_group_name          = var.resource_group_name
  sku                          = "PerGB2018"
  retention_in_days            = var.log_retention_days
  local_authentication_enabled = false
  tags                         = var.tags
}

resource "azurerm_monitor_diagnostic_setting" "activity_log" {
  count = var.export_activity_log ? 1 : 0

  name                       = "activity-log-to-${var.name}"
  target_resource_id         = "/subscriptions/${var.subscription_id}"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  dynamic "enabled_log" {
    for_each = toset(["Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth"])

    content {
      category = enabled_log.value
    }
  }
}

resource "azurerm_monitor_action_group" "security" {
  name                = "ag-${var.name}-security"
  resource_group_name = var.resource_group_name
  short_name          = "security"
  tags                = var.tags

  dynamic "email_receiver" {
    for_each = toset(var.alert_email_receivers)

    content {
      name                    = "email-${index(var.alert_email_receivers, email_receiver.value)}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

locals {
  # Administrative operations that open the platform up or destroy evidence (CIS Azure 5.2).
  security_operations = {
    "role-assignment-write"     = "Microsoft.Authorization/roleAssignments/write"
    "policy-assignment-delete"  = "Microsoft.Authorization/policyAssignments/delete"
    "nsg-write"                 = "Microsoft.Network/networkSecurityGroups/write"
    "nsg-delete"                = "Microsoft.Network/networkSecurityGroups/delete"
    "nsg-rule-write"            = "Microsoft.Network/networkSecurityGroups/securityRules/write"
    "key-vault-delete"          = "Microsoft.KeyVault/vaults/delete"
    "storage-account-write"     = "Microsoft.Storage/storageAccounts/write"
    "diagnostic-setting-delete" = "Microsoft.Insights/diagnosticSettings/delete"
    "security-solution-delete"  = "Microsoft.Security/securitySolutions/delete"
    "private-endpoint-delete"   = "Microsoft.Network/privateEndpoints/delete"
    "container-registry-write"  = "Microsoft.ContainerRegistry/registries/write"
    "log-analytics-delete"      = "Microsoft.OperationalInsights/workspaces/delete"
  }
}

resource "azurerm_monitor_activity_log_alert" "security" {
  for_each = local.security_operations

  name                = "alert-${var.name}-${each.key}"
  resource_group_name = var.resource_group_name
  location            = "global"
  scopes              = ["/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group_name}"]
  description         = "Security-relevant change: ${each.value}."
  tags                = var.tags

  criteria {
    category       = "Administrative"
    operation_name = each.value
  }

  action {
    action_group_id = azurerm_monitor_action_group.security.id
  }
}

resource "azurerm_monitor_activity_log_alert" "service_health" {
  name                = "alert-${var.name}-service-health"
  resource_group_name = var.resource_group_name
  location            = "global"
  scopes              = ["/subscriptions/${var.subscription_id}"]
  description         = "Azure incidents and maintenance affecting this subscription."
  tags                = var.tags

  criteria {
    category = "ServiceHealth"
  }

  action {
    action_group_id = azurerm_monitor_action_group.security.id
  }
}
