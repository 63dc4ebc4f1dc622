variable "project_id" {
  description = "Project whose audit logs are configured and kept."
  type        = string
}

variable "region" {
  description = "Location of the audit log bucket (the same location as its CMEK key)."
  type        = string
}

variable "name" {
  description = "Prefix of the log bucket and sink names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,90}$", var.name))
    error_message = "name must be lowercase letters, digits or '-', starting with a letter."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key that encrypts the audit log bucket."
  type        = string
}

variable "retention_days" {
  description = "Days audit log entries are kept (a locked bucket can only extend this)."
  type        = number
  default     = 400

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650
    error_message = "retention_days must be between 1 and 3650."
  }
}

variable "lock_bucket" {
  description = "Lock the audit log bucket: irreversible, retention can then only be increased and the bucket not deleted."
  type        = bool
  default     = true
}
