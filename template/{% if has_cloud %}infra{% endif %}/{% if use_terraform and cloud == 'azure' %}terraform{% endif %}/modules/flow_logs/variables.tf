variable "name" {
  description = "Name stem of the flow-log resources, e.g. shop-dev."
  type        = string
}

variable "storage_account_name" {
  description = "Globally unique name of the flow-log archive account (3-24 lowercase letters and digits)."
  type        = string
}

variable "location" {
  description = "Azure region of the VNet; flow logs must be stored in the same region."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the flow-log archive account."
  type        = string
}

variable "vnet_id" {
  description = "Virtual network whose traffic is logged (VNet flow logs replace the retired NSG flow logs)."
  type        = string
}

variable "network_watcher_name" {
  description = "Network Watcher of the region. Azure creates NetworkWatcher_<region> in NetworkWatcherRG automatically when the first VNet of a region is created."
  type        = string
}

variable "network_watcher_resource_group_name" {
  description = "Resource group of the Network Watcher."
  type        = string
  default     = "NetworkWatcherRG"
}

variable "retention_days" {
  description = "Days flow-log records are kept in the archive (at least 90)."
  type        = number
  default     = 90

  validation {
    condition     = var.retention_days >= 90 && var.retention_days <= 365
    error_message = "retention_days must be between 90 and 365."
  }
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key (versionless URL and ARM ID) of the archive account."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "private_endpoint_subnet_id" {
  description = "Subnet that receives the archive's blob private endpoint."
  type        = string
}

variable "blob_private_dns_zone_id" {
  description = "Private DNS zone ID of privatelink.blob.core.windows.net."
  type        = string
}

variable "log_analytics_workspace" {
  description = "Workspace that receives traffic analytics and the archive's access logs."
  type = object({
    id       = string
    guid     = string
    location = string
  })
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
