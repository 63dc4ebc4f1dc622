variable "name" {
  description = "Globally unique registry name (5-50 letters and digits)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]{5,50}$", var.name))
    error_message = "name must be 5-50 letters or digits."
  }
}

variable "location" {
  description = "Azure region of the registry."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the registry."
  type        = string
}

variable "georeplication_locations" {
  description = "Additional regions the registry replicates to (only for multi-region deployments)."
  type        = list(string)
  default     = []
}

variable "untagged_retention_days" {
  description = "Days an untagged manifest is kept before it is purged."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_retention_days >= 1 && var.untagged_retention_days <= 365
    error_message = "untagged_retention_days must be between 1 and 365."
  }
}

variable "quarantine_policy_enabled" {
  description = "Hold every pushed image in quarantine until a scanner marks it Passed (needs AcrQuarantineWriter in the pipeline)."
  type        = bool
  default     = true
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key (versionless URL and ARM ID)."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "private_endpoint_subnet_id" {
  description = "Subnet that receives the registry's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone ID of privatelink.azurecr.io."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace receiving login and repository events."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
