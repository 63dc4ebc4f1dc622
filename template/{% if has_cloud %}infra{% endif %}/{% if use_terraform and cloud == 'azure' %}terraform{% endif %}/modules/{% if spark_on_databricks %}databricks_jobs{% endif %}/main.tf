# Inside the workspace: the identity that submits the features runs, the one cluster policy it
# may use, the lake prefixes it may read and write (Unity Catalog external locations over the
# access connector) and the one secret scope it may read (docs/adr/0024-managed-spark.md).

locals {
  lake_prefixes = toset(concat(var.lake.read, var.lake.write))
  location_name = { for prefix in local.lake_prefixes : prefix => "${var.name}-${replace(trimsuffix(prefix, "/"), "/", "-")}" }
}

# No cluster creation, no SQL: the runner only submits one-time runs under the policy below.
resource "databricks_service_principal" "runner" {
  application_id        = var.runner_application_id
  display_name          = "${var.name}-spark-runner"
  workspace_access      = true
  allow_cluster_create  = false
  databricks_sql_access = false
}

# Every job cluster of a run: the pinned runtime, dedicated (single user) access mode for the
# runner only, on-demand VMs of one size, a bounded worker count and the project's tags.
resource "databricks_cluster_policy" "build_features" {
  name       = "${var.name}-build-features"
  definition = jsonencode(merge(
    {
      cluster_type                    = { type = "fixed", value = "job" }
      spark_version                   = { type = "fixed", value = var.spark_version }
      data_security_mode              = { type = "fixed", value = "SINGLE_USER" }
      single_user_name                = { type = "fixed", value = var.runner_application_id }
      node_type_id                    = { type = "fixed", value = var.node_type_id }
      driver_node_type_id             = { type = "fixed", value = var.node_type_id }
      num_workers                     = { type = "range", minValue = 1, maxValue = var.max_workers, defaultValue = 1 }
      "azure_attributes.availability" = { type = "fixed", value = "ON_DEMAND_AZURE" }
      enable_local_disk_encryption    = { type = "fixed", value = true }
    },
    { for key, value in var.tags : "custom_tags.${key}" => { type = "fixed", value = value } },
  ))
}

resource "databricks_permissions" "build_features_policy" {
  cluster_policy_id = databricks_cluster_policy.build_features.id

  access_control {
    service_principal_name = databricks_service_principal.runner.application_id
    permission_level       = "CAN_USE"
  }
}

resource "databricks_storage_credential" "lake" {
  name    = "${var.name}-lake"
  comment = "The access connector's identity: Storage Blob Data roles on the features job's lake prefixes only."

  azure_managed_identity {
    access_connector_id = var.access_connector_id
    managed_identity_id = var.connector_identity_id
  }
}

# One external location per prefix: read-only where the job only reads (lake/raw/).
resource "databricks_external_location" "lake" {
  for_each = local.lake_prefixes

  name            = local.location_name[each.key]
  url             = "abfss://${var.lake.container_name}@${var.lake.account_name}.dfs.core.windows.net/${each.key}"
  credential_name = databricks_storage_credential.lake.name
  read_only       = !contains(var.lake.write, each.key)
}

resource "databricks_grants" "lake" {
  for_each = local.lake_prefixes

  external_location = databricks_external_location.lake[each.key].id

  grant {
    principal  = databricks_service_principal.runner.application_id
    privileges = contains(var.lake.write, each.key) ? ["READ_FILES", "WRITE_FILES"] : ["READ_FILES"]
  }
}

# Key Vault-backed: the scope holds no copy of the key; Azure Databricks reads the one secret
# its role allows (modules/databricks) when the job asks for it.
resource "databricks_secret_scope" "keys" {
  name = "${var.name}-keys"

  keyvault_metadata {
    resource_id = var.key_vault.id
    dns_name    = var.key_vault.uri
  }
}

resource "databricks_secret_acl" "runner" {
  scope      = databricks_secret_scope.keys.name
  principal  = databricks_service_principal.runner.application_id
  permission = "READ"
}
