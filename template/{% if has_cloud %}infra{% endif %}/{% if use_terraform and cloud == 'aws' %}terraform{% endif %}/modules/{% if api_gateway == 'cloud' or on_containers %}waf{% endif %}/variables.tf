variable "name" {
  type        = string
  description = "Name of the web ACL and suffix of its log group."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,100}[a-z0-9]$", var.name))
    error_message = "name must be lowercase letters, digits or '-'."
  }
}

variable "rate_limit_per_ip" {
  type        = number
  description = "Requests one client IP may send in any 5 minutes before WAF blocks it."
  default     = 3000

  validation {
    condition     = var.rate_limit_per_ip >= 10
    error_message = "rate_limit_per_ip must be at least 10 (the WAF minimum)."
  }
}

variable "rate_limit_per_key" {
  type        = number
  description = "Requests one X-API-Key may send in any 5 minutes; null when usage plans limit clients instead."
  default     = null

  validation {
    condition     = var.rate_limit_per_key == null || try(var.rate_limit_per_key >= 10, false)
    error_message = "rate_limit_per_key must be null or at least 10 (the WAF minimum)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "CMK encrypting the WAF log group."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the WAF log group."
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}
