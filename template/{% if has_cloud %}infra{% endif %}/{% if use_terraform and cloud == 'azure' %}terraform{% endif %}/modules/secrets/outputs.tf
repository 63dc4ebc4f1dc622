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
