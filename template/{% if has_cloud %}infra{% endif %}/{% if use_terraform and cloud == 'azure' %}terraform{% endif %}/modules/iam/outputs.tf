output "service_identities" {
  description = "Managed identity by service: resource ID, client ID and principal (object) ID."
  value = {
    for name, identity in azurerm_user_assigned_identity.service : name => {
      id           = identity.id
      client_id    = identity.client_id
      principal_id = identity.principal_id
    }
  }
}

output "ci_client_id" {
  description = "Client ID of the identity CI logs in as (azure/login client-id, ARM_CLIENT_ID)."
  value       = azurerm_user_assigned_identity.ci.client_id
}

output "ci_plan_client_id" {
  description = "Client ID of the read-only identity pull/merge request plans log in as; null where none exists."
  value       = one(azurerm_user_assigned_identity.ci_plan[*].client_id)
}

output "ci_principal_id" {
  description = "Object ID of the CI identity (grant it pull access on the registry prod promotes from)."
  value       = azurerm_user_assigned_identity.ci.principal_id
}
