output "service_identities" {
  description = "Managed identity by service: resource ID and client ID."
  value = {
    for name, identity in azurerm_user_assigned_identity.service : name => {
      id        = identity.id
      client_id = identity.client_id
    }
  }
}

output "ci_client_id" {
  description = "Client ID of the identity CI logs in as (azure/login client-id, ARM_CLIENT_ID)."
  value       = azurerm_user_assigned_identity.ci.client_id
}
