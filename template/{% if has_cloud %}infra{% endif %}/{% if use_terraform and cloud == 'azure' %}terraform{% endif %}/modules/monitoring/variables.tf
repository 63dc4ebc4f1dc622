variable "name" {
  description = "Name stem of the monitoring resources, e.g. shop-dev."
  type        = string
}

variable "location" {
  description = "Azure region of the Log Analytics workspace."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the monitoring resources."
  type        = string
}

variable "subscription_id" {
  description = "Subscription whose Activity Log is exported and watched."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "export_activity_log" {
  description = "Export the subscription Activity Log to this workspace. Azure allows five diagnostic settings per subscription; turn this off where a central platform team already exports it."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days logs are kept in the Log Analytics workspace."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}

variable "alert_email_receivers" {
  description = "Email addresses that receive security and operational alerts."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_receivers : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "Every alert receiver must be an email address."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
