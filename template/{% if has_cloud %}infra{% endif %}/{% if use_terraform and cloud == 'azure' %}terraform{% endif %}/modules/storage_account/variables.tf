variable "name" {
  description = "Globally unique storage account name (3-24 lowercase letters and digits)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.name))
    error_message = "name must be 3-24 lowercase letters or digits."
  }
}

variable "location" {
  description = "Azure region of the account and its private endpoints."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the account."
  type        = string
}

variable "hierarchical_namespace_enabled" {
  description = "ADLS Gen2 hierarchical namespace. Azure does not support blob versioning or change feed on such accounts, so they are enabled only when this is false."
  type        = bool
  default     = false
}

variable "replication_type" {
  description = "Redundancy of the account; only geo-redundant types are allowed so a regional outage loses no data."
  type        = string
  default     = "GZRS"

  validation {
    condition     = contains(["GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "replication_type must be one of GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "soft_delete_retention_days" {
  description = "Days deleted blobs and containers stay recoverable."
  type        = number
  default     = 30

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 365
    error_message = "soft_delete_retention_days must be between 7 and 365."
  }
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key: versionless key URL (enables automatic rotation) and the ARM ID used as role-assignment scope."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "private_endpoint_subnet_id" {
  description = "Subnet that receives the account's private endpoints."
  type        = string
}

variable "private_dns_zone_ids" {
  description = "Private DNS zone ID per storage sub-resource to expose privately (keys: blob, dfs, ...)."
  type        = map(string)

  validation {
    condition     = length(var.private_dns_zone_ids) > 0 && alltrue([for k in keys(var.private_dns_zone_ids) : contains(["blob", "dfs", "queue", "table", "file", "web"], k)])
    error_message = "private_dns_zone_ids needs at least one key out of blob, dfs, queue, table, file, web."
  }
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace that receives the account's read/write/delete logs."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
