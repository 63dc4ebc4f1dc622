# Airflow on the project's AKS cluster (docs/adr/0019-orchestration-airflow.md): the DAGs and
# Airflow's task logs live in private containers of the lake's storage account (customer-managed
# key, private endpoint, no shared keys), read and written by Airflow's own workload identity.
resource "azurerm_storage_container" "dags" {
  #checkov:skip=CKV2_AZURE_21:A container of the lake account, whose blob read/write/delete logs modules/storage_account sends to Log Analytics.
  name                  = "airflow-dags"
  storage_account_id    = var.storage_account_id
  container_access_type = "private"
}

resource "azurerm_storage_container" "logs" {
  #checkov:skip=CKV2_AZURE_21:A container of the lake account, whose blob read/write/delete logs modules/storage_account sends to Log Analytics.
  name                  = "airflow-logs"
  storage_account_id    = var.storage_account_id
  container_access_type = "private"
}

resource "azurerm_user_assigned_identity" "airflow" {
  name                = "id-${var.name}-airflow"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

# Every Airflow component of the chart runs as the ServiceAccount `airflow` of its namespace.
resource "azurerm_federated_identity_credential" "airflow" {
  name                      = "aks-airflow"
  user_assigned_identity_id = azurerm_user_assigned_identity.airflow.id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = var.oidc_issuer_url
  subject                   = "system:serviceaccount:${var.namespace}:airflow"
}

resource "azurerm_role_assignment" "read_dags" {
  scope                = "${var.storage_account_id}/blobServices/default/containers/${azurerm_storage_container.dags.name}"
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.airflow.principal_id
}

resource "azurerm_role_assignment" "write_logs" {
  scope                = "${var.storage_account_id}/blobServices/default/containers/${azurerm_storage_container.logs.name}"
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.airflow.principal_id
}

# ---------------------------------------------------------------- metadata database
# Airflow's metadata DB on Azure Database for PostgreSQL Flexible Server instead of the chart's
# bundled PostgreSQL: VNet-integrated only (a delegated subnet, no public access), Entra ID
# authentication only (Airflow's workload identity signs in with a token, no password exists),
# data encrypted with the project's customer-managed key, TLS 1.2+ required.
resource "azurerm_user_assigned_identity" "database_key" {
  name                = "id-${var.name}-airflow-db-cmk"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_role_assignment" "database_key_user" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.database_key.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_postgresql_flexible_server" "metadata" {
  #checkov:skip=CKV_AZURE_136:Geo-redundant backups with a customer-managed key need a second key in the paired region; the metadata DB holds run history only (the lake and MLflow hold the data) and has 35 days of zone-local point-in-time restore.
  #checkov:skip=CKV2_AZURE_57:Private access through VNet integration (delegated subnet, public access disabled), the Flexible Server alternative to a private endpoint.
  name                          = "psql-${var.name}-airflow"
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = var.database.version
  sku_name                      = var.database.sku_name
  storage_mb                    = var.database.storage_mb
  auto_grow_enabled             = true
  backup_retention_days         = 35
  geo_redundant_backup_enabled  = false
  delegated_subnet_id           = var.database_subnet_id
  private_dns_zone_id           = var.database_private_dns_zone_id
  public_network_access_enabled = false
  tags                          = var.tags

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = var.tenant_id
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.database_key.id]
  }

  customer_managed_key {
    key_vault_key_id                  = var.encryption_key.versionless_id
    primary_user_assigned_identity_id = azurerm_user_assigned_identity.database_key.id
  }

  lifecycle {
    # Azure picks the zone; keep it across applies.
    ignore_changes = [zone]
  }

  depends_on = [azurerm_role_assignment.database_key_user]
}

resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each = {
    "require_secure_transport"   = "on"
    "ssl_min_protocol_version"   = "TLSv1.2"
    "log_connections"            = "on"
    "log_disconnections"         = "on"
    "log_checkpoints"            = "on"
    "connection_throttle.enable" = "on"
  }

  name      = each.key
  server_id = azurerm_postgresql_flexible_server.metadata.id
  value     = each.value
}

resource "azurerm_postgresql_flexible_server_database" "airflow" {
  name      = "airflow"
  server_id = azurerm_postgresql_flexible_server.metadata.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# Airflow's own identity is the server's Entra administrator: the server holds Airflow's
# metadata only, and `airflow db migrate` creates and alters its tables.
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "airflow" {
  server_name         = azurerm_postgresql_flexible_server.metadata.name
  resource_group_name = var.resource_group_name
  tenant_id           = var.tenant_id
  object_id           = azurerm_user_assigned_identity.airflow.principal_id
  principal_name      = azurerm_user_assigned_identity.airflow.name
  principal_type      = "ServicePrincipal"
}

resource "azurerm_monitor_diagnostic_setting" "database" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_postgresql_flexible_server.metadata.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
