# Inside the workspace: the identities that submit the features runs (CI's `make spark-run`,
# and an orchestrator's features task where one submits them), the one cluster policy each
# may use, the lake they reach (a Unity Catalog volume over the access connector, whose Azure
# roles allow the features prefixes only) and the one secret scope they may read
# (docs/adr/0024-managed-spark.md).

locals {
  container_url = "abfss://${var.lake.container_name}@${var.lake.account_name}.dfs.core.windows.net"
  catalog_name  = replace(var.name, "-", "_")
}

# No cluster creation, no SQL: a runner only submits one-time runs under its policy below.
resource "databricks_service_principal" "runner" {
  for_each = var.runner_application_ids

  application_id        = each.value
  display_name          = each.key == "ci" ? "${var.name}-spark-runner" : "${var.name}-${each.key}-spark-runner"
  workspace_access      = true
  allow_cluster_create  = false
  databricks_sql_access = false
}

# Every job cluster of a run: the pinned runtime, dedicated (single user) access mode for the
# runner that submitted it only, on-demand VMs of one size, a bounded worker count and the
# project's tags. One policy per runner: neither can start a cluster the other would own.
resource "databricks_cluster_policy" "build_features" {
  for_each = var.runner_application_ids

  name       = each.key == "ci" ? "${var.name}-build-features" : "${var.name}-${each.key}-build-features"
  definition = jsonencode(merge(
    {
      cluster_type                    = { type = "fixed", value = "job" }
      spark_version                   = { type = "fixed", value = var.spark_version }
      data_security_mode              = { type = "fixed", value = "SINGLE_USER" }
      single_user_name                = { type = "fixed", value = each.value }
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
  for_each = var.runner_application_ids

  cluster_policy_id = databricks_cluster_policy.build_features[each.key].id

  access_control {
    service_principal_name = databricks_service_principal.runner[each.key].application_id
    permission_level       = "CAN_USE"
  }
}

# CI's folder of uploaded runs, readable by the staging readers' runs (their job clusters load
# the wheels and entry script from it); only CI writes there.
resource "databricks_directory" "ci_staging" {
  count = length(var.staging_readers) > 0 ? 1 : 0

  path = "/Workspace/Users/${databricks_service_principal.runner["ci"].application_id}/build-features"
}

resource "databricks_permissions" "ci_staging" {
  count = length(var.staging_readers) > 0 ? 1 : 0

  directory_path = databricks_directory.ci_staging[0].path

  dynamic "access_control" {
    for_each = var.staging_readers

    content {
      service_principal_name = databricks_service_principal.runner[access_control.value].application_id
      permission_level       = "CAN_READ"
    }
  }
}

resource "databricks_storage_credential" "lake" {
  name    = "${var.name}-lake"
  comment = "The access connector's identity: its Azure roles reach the features job's lake prefixes only."

  azure_managed_identity {
    access_connector_id = var.access_connector_id
    managed_identity_id = var.connector_identity_id
  }
}

# The lake container, for Unity Catalog. Nobody is granted files on it directly: the runner
# reaches lake/ through the volume below only.
resource "databricks_external_location" "lake" {
  name            = "${var.name}-lake"
  url             = "${local.container_url}/"
  credential_name = databricks_storage_credential.lake.name
  comment         = "Lake container of ${var.name}: the features runs' volume lives under lake/."
}

# The project's catalog, bound to this workspace only; it holds the lake volume and nothing
# else (its managed location stays empty).
resource "databricks_catalog" "this" {
  name           = local.catalog_name
  storage_root   = "${local.container_url}/unity-catalog"
  isolation_mode = "ISOLATED"
  comment        = "${var.name}: the features runs' lake volume"

  depends_on = [databricks_external_location.lake]
}

resource "databricks_schema" "features" {
  catalog_name = databricks_catalog.this.name
  name         = "features"
}

# lake/ as files: the run's APP_LAKE_URI is /Volumes/<catalog>/features/lake, mounted on the
# driver and every executor. Unity Catalog grants the whole volume; Azure refuses the connector
# every prefix the features job does not own (modules/iam, ABAC conditions on the blob path).
resource "databricks_volume" "lake" {
  name             = "lake"
  catalog_name     = databricks_catalog.this.name
  schema_name      = databricks_schema.features.name
  volume_type      = "EXTERNAL"
  storage_location = "${local.container_url}/lake"
}

resource "databricks_grants" "catalog" {
  catalog = databricks_catalog.this.name

  dynamic "grant" {
    for_each = databricks_service_principal.runner

    content {
      principal  = grant.value.application_id
      privileges = ["USE_CATALOG"]
    }
  }
}

resource "databricks_grants" "schema" {
  schema = "${databricks_catalog.this.name}.${databricks_schema.features.name}"

  dynamic "grant" {
    for_each = databricks_service_principal.runner

    content {
      principal  = grant.value.application_id
      privileges = ["USE_SCHEMA"]
    }
  }
}

resource "databricks_grants" "lake_volume" {
  volume = databricks_volume.lake.id

  dynamic "grant" {
    for_each = databricks_service_principal.runner

    content {
      principal  = grant.value.application_id
      privileges = ["READ_VOLUME", "WRITE_VOLUME"]
    }
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
  for_each = var.runner_application_ids

  scope      = databricks_secret_scope.keys.name
  principal  = databricks_service_principal.runner[each.key].application_id
  permission = "READ"
}

# Before runners were keyed by role there was one, CI's: its objects keep their identity.
moved {
  from = databricks_service_principal.runner
  to   = databricks_service_principal.runner["ci"]
}

moved {
  from = databricks_cluster_policy.build_features
  to   = databricks_cluster_policy.build_features["ci"]
}

moved {
  from = databricks_permissions.build_features_policy
  to   = databricks_permissions.build_features_policy["ci"]
}

moved {
  from = databricks_secret_acl.runner
  to   = databricks_secret_acl.runner["ci"]
}
