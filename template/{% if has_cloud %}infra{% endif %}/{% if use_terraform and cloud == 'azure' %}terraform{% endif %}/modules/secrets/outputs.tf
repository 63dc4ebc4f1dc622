output "key_vault_id" {
  description = "Key Vault resource ID (role-assignment scope for runtime secrets)."
  value       = azurerm_key_vault.this.id
}

output "key_vault_uri" {
  description = "Key Vault URI the workloads read secrets from."
  value       = azurerm_key_vault.this.vault_uri
}

output "keys" {
  description = "Customer-managed keys by name: versionless URL (for automatic rotation) and ARM ID (role-assignment scope)."
  value = {
    for name, key in azurerm_key_vault_key.this : name => {
      versionless_id          = key.versionless_id
      resource_versionless_id = key.resource_versionless_id
    }
  }
}

output "runtime_secrets" {
  description = "Runtime secrets by logical name: Key Vault name, versionless URL (what Container Apps reference) and ARM ID (the scope of their readers' role assignments)."
  value = {
    for name, secret in azurerm_key_vault_secret.runtime : name => {
      name                    = secret.name
      versionless_id          = secret.versionless_id
      resource_versionless_id = secret.resource_versionless_id
    }
  }
}
