variable "name" {
  type        = string
  description = "Name prefix of every resource, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of CloudWatch log groups (CloudTrail, VPC flow logs, workloads)."
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least one year (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "trail_retention_days" {
  type        = number
  description = "Days CloudTrail log files are kept in S3 before they expire (moved to Glacier after 90)."
  default     = 2557

  validation {
    condition     = var.trail_retention_days >= 365
    error_message = "trail_retention_days must be at least 365."
  }
}

variable "data_event_bucket_arns" {
  type        = list(string)
  description = "Buckets whose object-level (data) events CloudTrail records, e.g. the data lake."
  default     = []

  validation {
    condition     = alltrue([for arn in var.data_event_bucket_arns : startswith(arn, "arn:aws")])
    error_message = "data_event_bucket_arns must be bucket ARNs."
  }
}

variable "alarm_email" {
  type        = string
  description = "Optional e-mail address subscribed to security alarms (the subscription must be confirmed)."
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "alb_access_logs" {
  type        = bool
  description = "Let Elastic Load Balancing deliver ALB access logs to the access log bucket (prefix alb/)."
  default     = false
}

variable "force_destroy" {
  type        = bool
  description = "Allow `terraform destroy` to delete non-empty log buckets. Keep false outside throwaway environments."
  default     = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (CI may only create bounded roles)."
}
