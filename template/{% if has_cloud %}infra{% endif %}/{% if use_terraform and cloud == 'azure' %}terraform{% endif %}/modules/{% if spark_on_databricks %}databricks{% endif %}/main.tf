# Azure Databricks for the features job (docs/adr/0024-managed-spark.md): a premium workspace
# whose job clusters run in two dedicated subnets of the project's VNet with no public IP
# (secure cluster connectivity), reached only through private endpoints, encrypted with the
# project's Key Vault key. The jobs reach the lake as the access connector's identity only.

locals {
  # The AzureDatabricks first-party application (the same ID in every tenant): it wraps the
  # managed-services key and reads the Key Vault-backed secret scope.
  azure_databricks_application_id = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
}

data "azuread_service_principal" "azure_databricks" {
  client_id = local.azure_databricks_application_id
}

# The identity behind Unity Catalog's storage credential: user-assigned, so its lake roles
# (the features prefixes only) are granted with every other workload's, in the iam module.
resource "azurerm_databricks_access_connector" "this" {
  name                = "dbac-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [var.connector_identity_id]
  }
}

resource "azurerm_databricks_workspace" "this" {
  name                        = "dbw-${var.name}"
  location                    = var.location
  resource_group_name         = var.resource_group_name
  managed_resource_group_name = "rg-${var.name}-databricks-managed"
  # Premium: customer-managed keys, private link, Unity Catalog access control and audit logs.
  sku = "premium"
  # Front end only through the private endpoints below; with no public access Azure
  # Databricks adds no NSG rules of its own (the clusters talk to the control plane privately).
  public_network_access_enabled         = false
  network_security_group_rules_required = "NoAzureDatabricksRules"
  # Customer-managed keys: notebooks, secrets and job results (managed services), the clusters'
  # disks (rotated to the latest key version) and the workspace's root storage.
  customer_managed_key_enabled                        = true
  infrastructure_encryption_enabled                   = true
  managed_services_cmk_key_vault_key_id               = var.encryption_key.versionless_id
  managed_disk_cmk_key_vault_key_id                   = var.encryption_key.versionless_id
  managed_disk_cmk_rotation_to_latest_version_enabled = true
  # The root storage account accepts the access connector only, never a public request.
  default_storage_firewall_enabled = true
  access_connector_id              = azurerm_databricks_access_connector.this.id
  tags                             = var.tags

  custom_parameters {
    no_public_ip                                         = true
    virtual_network_id                                   = var.virtual_network_id
    public_subnet_name                                   = var.subnets.host.name
    private_subnet_name                                  = var.subnets.container.name
    public_subnet_network_security_group_association_id  = var.subnets.host.nsg_association_id
    private_subnet_network_security_group_association_id = var.subnets.container.nsg_association_id
  }

  depends_on = [azurerm_role_assignment.managed_services_key]
}

resource "azurerm_role_assignment" "managed_services_key" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = data.azuread_service_principal.azure_databricks.object_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "managed_disk_key" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_databricks_workspace.this.managed_disk_identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "root_storage_key" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_databricks_workspace.this.storage_account_identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_databricks_workspace_root_dbfs_customer_managed_key" "this" {
  workspace_id     = azurerm_databricks_workspace.this.id
  key_vault_key_id = var.encryption_key.versionless_id

  depends_on = [azurerm_role_assignment.root_storage_key]
}

# The Key Vault-backed secret scope reads Key Vault as the AzureDatabricks application: it may
# read the pseudonymisation key's secret and no other secret of the vault.
resource "azurerm_role_assignment" "key_secret_reader" {
  scope                = var.key_secret_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = data.azuread_service_principal.azure_databricks.object_id
  principal_type       = "ServicePrincipal"
}

# Egress of the clusters (secure cluster connectivity gives them no public IP, and the
# subnets have no default outbound access): one NAT gateway, outbound only.
resource "azurerm_public_ip" "egress" {
  name                = "pip-${var.name}-databricks-egress"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = ["1"]
  tags                = var.tags
}

resource "azurerm_nat_gateway" "egress" {
  name                = "ng-${var.name}-databricks"
  location            = var.location
  resource_group_name = var.resource_group_name
  sku_name            = "Standard"
  zones               = ["1"]
  tags                = var.tags
}

resource "azurerm_nat_gateway_public_ip_association" "egress" {
  nat_gateway_id       = azurerm_nat_gateway.egress.id
  public_ip_address_id = azurerm_public_ip.egress.id
}

resource "azurerm_subnet_nat_gateway_association" "egress" {
  for_each = { host = var.subnets.host.id, container = var.subnets.container.id }

  subnet_id      = each.value
  nat_gateway_id = azurerm_nat_gateway.egress.id
}

# Front end: the REST API (what `make spark-run` calls) and browser sign-in, private only.
resource "azurerm_private_endpoint" "this" {
  for_each = toset(["databricks_ui_api", "browser_authentication"])

  name                = "pe-${var.name}-${replace(each.key, "_", "-")}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "psc-${var.name}-${replace(each.key, "_", "-")}"
    private_connection_resource_id = azurerm_databricks_workspace.this.id
    subresource_names              = [each.key]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

# Audit: every log category of the workspace (jobs, clusters, secrets, Unity Catalog, accounts).
resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_databricks_workspace.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }
}
