variable "name" {
  type        = string
  description = "Name prefix of every resource, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket receiving the data lake's S3 server access logs."
}

variable "raw_retention_days" {
  type        = number
  description = "Days raw ingestion partitions are kept; null keeps them forever (they are the replayable source of truth)."
  default     = null

  validation {
    condition     = var.raw_retention_days == null || try(var.raw_retention_days >= 30, false)
    error_message = "raw_retention_days must be null or at least 30."
  }
}

variable "quarantine_retention_days" {
  type        = number
  description = "Days rejected rows stay in quarantine for investigation before they expire."
  default     = 90

  validation {
    condition     = var.quarantine_retention_days >= 7
    error_message = "quarantine_retention_days must be at least 7."
  }
}

variable "reports_retention_days" {
  type        = number
  description = "Days drift reports are kept."
  default     = 400

  validation {
    condition     = var.reports_retention_days >= 30
    error_message = "reports_retention_days must be at least 30."
  }
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days overwritten or deleted object versions are recoverable."
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Allow `terraform destroy` to delete a non-empty lake. Keep false outside throwaway environments."
  default     = false
}
