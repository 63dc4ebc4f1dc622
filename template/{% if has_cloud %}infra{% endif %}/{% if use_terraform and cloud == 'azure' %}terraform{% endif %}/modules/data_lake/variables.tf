variable "storage_account_name" {
  description = "Globally unique name of the data lake storage account (3-24 lowercase letters and digits)."
  type        = string
}

variable "location" {
  description = "Azure region of the data lake."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the data lake."
  type        = string
}

variable "container_name" {
  description = "ADLS Gen2 file system holding raw/, quarantine/, features/, reference/ and lineage/ (the layout of contracts.lake)."
  type        = string
  default     = "lake"

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$", var.container_name))
    error_message = "container_name must be 3-63 lowercase letters, digits or single dashes."
  }
}

variable "hierarchical_namespace_enabled" {
  description = "ADLS Gen2 hierarchical namespace (atomic directory renames, POSIX ACLs). Azure does not support blob versioning on such accounts; set false to trade ADLS semantics for blob versioning."
  type        = bool
  default     = true
}

variable "replication_type" {
  description = "Geo-redundant replication type of the data lake."
  type        = string
  default     = "GZRS"
}

variable "soft_delete_retention_days" {
  description = "Days deleted files and containers stay recoverable."
  type        = number
  default     = 30
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key (versionless URL and ARM ID)."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "private_endpoint_subnet_id" {
  description = "Subnet that receives the blob and dfs private endpoints."
  type        = string
}

variable "private_dns_zone_ids" {
  description = "Private DNS zone IDs for the blob and dfs endpoints."
  type = object({
    blob = string
    dfs  = string
  })
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace receiving storage access logs."
  type        = string
}

variable "retention_days" {
  description = "Lake prefix (zone) => days its blobs are kept after their last change; null keeps them forever."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for days in values(var.retention_days) : days == null || try(days >= 7, false)])
    error_message = "retention_days values must be null or at least 7."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
