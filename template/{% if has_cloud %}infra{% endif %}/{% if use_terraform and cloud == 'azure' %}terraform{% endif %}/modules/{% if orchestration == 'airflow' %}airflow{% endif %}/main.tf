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
