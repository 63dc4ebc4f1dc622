variable "name" {
  description = "Globally unique Key Vault name (3-24 letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", var.name))
    error_message = "name must be 3-24 letters, digits or dashes, start with a letter and not end with a dash."
  }
}

variable "location" {
  description = "Azure region of the Key Vault."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the Key Vault."
  type        = string
}

variable "tenant_id" {
  description = "Microsoft Entra tenant of the Key Vault."
  type        = string
}

variable "deployer_principal_id" {
  description = "Object ID of the principal running Terraform; it gets Key Vault Crypto Officer to manage the CMKs (never secret values)."
  type        = string
}

variable "encryption_keys" {
  description = "Names of the customer-managed keys to create (one per consumer, so access can be revoked per service)."
  type        = set(string)

  validation {
    condition     = alltrue([for name in var.encryption_keys : can(regex("^[a-z][a-z0-9-]{0,126}$", name))])
    error_message = "Key names must be lowercase letters, digits or dashes."
  }
}

variable "key_rotation_period" {
  description = "ISO 8601 duration after which keys rotate automatically (e.g. P180D)."
  type        = string
  default     = "P180D"

  validation {
    condition     = can(regex("^P[0-9]+[DMY]$", var.key_rotation_period))
    error_message = "key_rotation_period must be an ISO 8601 duration in days, months or years, e.g. P180D."
  }
}

variable "soft_delete_retention_days" {
  description = "Days a deleted vault, key or secret stays recoverable."
  type        = number
  default     = 90

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90
    error_message = "soft_delete_retention_days must be between 7 and 90."
  }
}

variable "private_endpoint_subnet_id" {
  description = "Subnet that receives the vault's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone ID of privatelink.vaultcore.azure.net."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace receiving the vault's audit events."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "runtime_secrets" {
  description = "Runtime secrets Terraform creates, logical name => Key Vault secret name. Each gets 64 random characters once (ephemeral, write-only: never in state or plans); an operator may add versions later (az keyvault secret set). Key Vault has no empty secrets, and a secret that exists can be the scope of its readers' role assignments."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in values(var.runtime_secrets) : can(regex("^[a-zA-Z0-9-]{1,127}$", name))])
    error_message = "Key Vault secret names must be 1-127 letters, digits or dashes."
  }
}
