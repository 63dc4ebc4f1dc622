variable "name" {
  description = "Namespace name (globally unique, 6-50 characters)."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the namespace."
  type        = string
}

variable "processing_units" {
  description = "Premium processing units (1, 2, 4, 8 or 16)."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2, 4, 8, 16], var.processing_units)
    error_message = "processing_units must be 1, 2, 4, 8 or 16."
  }
}

variable "encryption_key" {
  description = "Key Vault key that encrypts the namespace (versionless URL and ARM ID)."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "topics" {
  description = "Event hub (Kafka topic) name -> partitions and retention (days, up to 90 on Premium)."
  type = map(object({
    partitions     = number
    retention_days = number
  }))

  validation {
    condition     = alltrue([for spec in values(var.topics) : spec.partitions >= 1 && spec.retention_days >= 1 && spec.retention_days <= 90])
    error_message = "Every topic needs at least one partition and 1-90 days of retention."
  }
}

variable "events_topic" {
  description = "Event hub the consumer reads (APP_KAFKA_TOPIC)."
  type        = string
}

variable "dead_letter_topic" {
  description = "Event hub the consumer writes rejected events to (APP_KAFKA_DLQ_TOPIC)."
  type        = string
}

variable "consumer_principal_id" {
  description = "Object ID of the events service's managed identity."
  type        = string
}

variable "producer_principal_ids" {
  description = "Object IDs (by name) of the identities that may send customer events."
  type        = map(string)
  default     = {}
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the namespace's private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "privatelink.servicebus.windows.net zone linked to the VNet."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Workspace of the namespace's logs and metrics."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
