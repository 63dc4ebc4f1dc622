# Key Vault for customer-managed keys and runtime secrets. Secret VALUES are never in
# Terraform state: each runtime secret gets a random first version through a write-only
# argument (the pseudonymisation key keeps it; operators may replace the API key with
# `az keyvault secret set`), and workloads read them through their managed identity. The vault has no public endpoint, so
# Terraform (which creates the keys) and operators reach it through the private endpoint:
# from a self-hosted runner in the ci-runners subnet, a peered network or a VPN.

resource "azurerm_key_vault" "this" {
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  tenant_id                     = var.tenant_id
  sku_name                      = "premium"
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = var.soft_delete_retention_days
  public_network_access_enabled = false
  tags                          = var.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}

resource "azurerm_private_endpoint" "vault" {
  name                = "pe-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "psc-${var.name}"
    private_connection_resource_id = azurerm_key_vault.this.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

resource "azurerm_monitor_diagnostic_setting" "vault" {
  name                       = "to-log-analytics"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category_group = "audit"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

resource "azurerm_role_assignment" "deployer_crypto_officer" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Crypto Officer"
  principal_id         = var.deployer_principal_id
}

resource "azurerm_key_vault_key" "this" {
  for_each = var.encryption_keys

  name         = each.key
  key_vault_id = azurerm_key_vault.this.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["wrapKey", "unwrapKey"]
  # The first version expires after one rotation period plus a margin; the rotation policy
  # creates the next version before that, so the date only bounds a key that stopped rotating.
  expiration_date = timeadd(plantimestamp(), "8760h")

  rotation_policy {
    expire_after         = "P1Y"
    notify_before_expiry = "P30D"

    automatic {
      time_after_create = var.key_rotation_period
    }
  }

  lifecycle {
    ignore_changes = [expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer_crypto_officer, azurerm_private_endpoint.vault]
}

# Terraform writes the first version of each runtime secret, so it may manage secrets (which
# includes reading them; it could grant itself that role anyway).
resource "azurerm_role_assignment" "deployer_secrets_officer" {
  count = length(var.runtime_secrets) > 0 ? 1 : 0

  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = var.deployer_principal_id
}

ephemeral "random_password" "runtime" {
  for_each = var.runtime_secrets

  length  = 64
  special = false
}

resource "azurerm_key_vault_secret" "runtime" {
  #checkov:skip=CKV_AZURE_41:No expiry: Key Vault refuses to return an expired secret, and the pseudonymisation key must outlive every pseudonym made with it (docs/data-governance.md); the API key is rotated by the runbook.
  for_each = var.runtime_secrets

  name         = each.value
  key_vault_id = azurerm_key_vault.this.id
  content_type = "text/plain"
  # Written once (version 1): bump value_wo_version only to rotate on purpose.
  value_wo         = ephemeral.random_password.runtime[each.key].result
  value_wo_version = 1

  depends_on = [azurerm_role_assignment.deployer_secrets_officer, azurerm_private_endpoint.vault]
}
