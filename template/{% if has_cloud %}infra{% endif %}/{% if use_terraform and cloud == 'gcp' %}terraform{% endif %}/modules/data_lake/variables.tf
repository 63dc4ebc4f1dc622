variable "project_id" {
  description = "Project that owns the buckets."
  type        = string
}

variable "location" {
  description = "Bucket location (a region keeps data next to compute and its CMEK key)."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the data lake bucket; the log bucket gets a '-logs' suffix."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,56}[a-z0-9]$", var.bucket_name)) && !can(regex("goog", var.bucket_name))
    error_message = "bucket_name must be 3-58 lowercase letters, digits, '_' or '-' and must not contain 'goog'."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key that encrypts both buckets (the Cloud Storage service agent must be allowed to use it)."
  type        = string
}

variable "soft_delete_days" {
  description = "Days a deleted or overwritten object stays recoverable by soft delete (0 or 7-90)."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_days == 0 || (var.soft_delete_days >= 7 && var.soft_delete_days <= 90)
    error_message = "soft_delete_days must be 0 or between 7 and 90."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days a noncurrent (overwritten or deleted) object version is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "raw_nearline_after_days" {
  description = "Age in days after which raw partitions move to NEARLINE storage."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_nearline_after_days >= 1
    error_message = "raw_nearline_after_days must be at least 1."
  }
}

variable "quarantine_retention_days" {
  description = "Age in days after which quarantined rows are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.quarantine_retention_days >= 1
    error_message = "quarantine_retention_days must be at least 1."
  }
}

variable "raw_retention_days" {
  description = "Age in days after which raw partitions are deleted; null keeps them forever (the replayable source of truth)."
  type        = number
  default     = null

  validation {
    condition     = var.raw_retention_days == null || try(var.raw_retention_days >= 30, false)
    error_message = "raw_retention_days must be null or at least 30."
  }
}

variable "reports_retention_days" {
  description = "Age in days after which drift reports are deleted."
  type        = number
  default     = 400

  validation {
    condition     = var.reports_retention_days >= 30
    error_message = "reports_retention_days must be at least 30."
  }
}

variable "access_log_retention_days" {
  description = "Days access logs are retained (write-once) before deletion."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 1 and 3650."
  }
}

variable "lock_retention" {
  description = "Lock the access-log retention policy (irreversible: the bucket cannot be deleted before it expires)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels applied to both buckets."
  type        = map(string)
  default     = {}
}
