# Least privilege: one user-assigned identity per service with data roles scoped to the lake
# container (never the account or the subscription), Key Vault secret access only for the
# services that need a secret, and federated credentials instead of any client secret.

locals {
  audience = "api://AzureADTokenExchange"
}

resource "azurerm_user_assigned_identity" "service" {
  for_each = var.services

  name                = "id-${var.name}-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

# The lake: role assignments on the container narrowed by ABAC conditions on the blob path.
# Listing is not path-scoped, so every service may list blob names (dates, run ids); reading
# needs a readable prefix, writing, adding, deleting or renaming a writable one.
locals {
  blob_path   = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]"
  blob_action = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
  lake_read   = { for name, service in var.services : name => distinct(concat(service.lake_read, service.lake_write)) if length(concat(service.lake_read, service.lake_write)) > 0 }
  lake_write  = { for name, service in var.services : name => service.lake_write if length(service.lake_write) > 0 }
}

resource "azurerm_role_assignment" "data_lake" {
  for_each = local.lake_read

  scope                = var.data_lake_container_id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.service[each.key].principal_id
  principal_type       = "ServicePrincipal"
  description          = "Read ${join(", ", each.value)} of the lake"
  condition_version    = "2.0"
  condition            = <<-EOT
    (
      (
        !(ActionMatches{'${local.blob_action}/read'} AND NOT SubOperationMatches{'Blob.List'})
      )
      OR
      (
        ${join("\n        OR ", [for prefix in each.value : "${local.blob_path} StringStartsWith '${prefix}'"])}
      )
    )
  EOT
}

resource "azurerm_role_assignment" "data_lake_write" {
  for_each = local.lake_write

  scope                = var.data_lake_container_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.service[each.key].principal_id
  principal_type       = "ServicePrincipal"
  description          = "Write ${join(", ", each.value)} of the lake"
  condition_version    = "2.0"
  condition            = <<-EOT
    (
      (
        !(ActionMatches{'${local.blob_action}/read'} AND NOT SubOperationMatches{'Blob.List'})
        AND !(ActionMatches{'${local.blob_action}/write'})
        AND !(ActionMatches{'${local.blob_action}/add/action'})
        AND !(ActionMatches{'${local.blob_action}/delete'})
        AND !(ActionMatches{'${local.blob_action}/move/action'})
      )
      OR
      (
        ${join("\n        OR ", [for prefix in each.value : "${local.blob_path} StringStartsWith '${prefix}'"])}
      )
    )
  EOT
}

# Secrets: one role assignment per secret a service reads, scoped to that secret (never the
# vault), so no service can read another's secret. Keyed by position: ids are known at apply.
resource "azurerm_role_assignment" "secrets" {
  for_each = {
    for pair in flatten([
      for name, service in var.services : [
        for index, secret_id in service.secret_ids : { key = "${name}/${index}", service = name, secret_id = secret_id }
      ]
    ]) : pair.key => pair
  }

  scope                = each.value.secret_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.service[each.value.service].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "acr_pull" {
  for_each = { for name, service in var.services : name => service if service.pulls_images }

  scope                = var.registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.service[each.key].principal_id
  principal_type       = "ServicePrincipal"
}

# Azure workload identity: a pod running as ServiceAccount <namespace>/<service> exchanges its
# projected token for this identity's Entra token (identities no pod runs as get none).
resource "azurerm_federated_identity_credential" "kubernetes" {
  for_each = var.kubernetes_federation == null ? {} : { for name, service in var.services : name => service if service.in_kubernetes }

  name                      = "aks-${each.key}"
  user_assigned_identity_id = azurerm_user_assigned_identity.service[each.key].id
  audience                  = [local.audience]
  issuer                    = var.kubernetes_federation.oidc_issuer_url
  subject                   = "system:serviceaccount:${var.kubernetes_federation.namespace}:${each.key}"
}

# The identity CI federates into (OIDC, no stored credentials) to push images and roll out.
resource "azurerm_user_assigned_identity" "ci" {
  name                = "id-${var.name}-ci"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_federated_identity_credential" "ci" {
  for_each = var.ci_federated_subjects

  name                      = "ci-${each.key}"
  user_assigned_identity_id = azurerm_user_assigned_identity.ci.id
  audience                  = [local.audience]
  issuer                    = each.value.issuer
  subject                   = each.value.subject
}

resource "azurerm_role_assignment" "ci" {
  for_each = var.ci_role_assignments

  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}

# The read-only identity plan jobs of pull/merge requests federate into: the only identity whose
# federated credentials admit them. Reader on the environment (no data-plane access), metadata
# of Key Vault keys (no secret values), and read access to the state container: Azure RBAC has
# no lease-only data action (a lease needs blob write, which would let a pull request rewrite
# the state), so pull request plans run with -lock=false. Created where subjects are given (dev).
resource "azurerm_user_assigned_identity" "ci_plan" {
  count = length(var.ci_plan_federated_subjects) > 0 ? 1 : 0

  name                = "id-${var.name}-ci-plan"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_federated_identity_credential" "ci_plan" {
  for_each = var.ci_plan_federated_subjects

  name                      = "ci-plan-${each.key}"
  user_assigned_identity_id = azurerm_user_assigned_identity.ci_plan[0].id
  audience                  = [local.audience]
  issuer                    = each.value.issuer
  subject                   = each.value.subject
}

resource "azurerm_role_assignment" "ci_plan" {
  for_each = length(var.ci_plan_federated_subjects) > 0 ? var.ci_plan_role_assignments : {}

  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.ci_plan[0].principal_id
  principal_type       = "ServicePrincipal"
}
