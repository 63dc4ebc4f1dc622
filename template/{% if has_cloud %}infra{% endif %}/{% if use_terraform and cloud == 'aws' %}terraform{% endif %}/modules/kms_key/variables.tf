variable "alias" {
  type        = string
  description = "Alias of the key without the alias/ prefix, e.g. shop-dev-data-lake."

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias may contain letters, digits, '/', '_' and '-' and must not start with aws/."
  }
}

variable "description" {
  type        = string
  description = "What the key protects; shown in the KMS console and in CloudTrail."

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 8192
    error_message = "description must be 1-8192 characters."
  }
}

variable "deletion_window_in_days" {
  type        = number
  description = "Waiting period before a scheduled key deletion becomes final (7-30 days)."
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "service_statements" {
  description = <<-EOT
    Key policy grants for AWS service principals (CloudWatch Logs, CloudTrail, ...).
    IAM principals of this account need no entry: the account statement delegates to IAM policies.
  EOT
  type = list(object({
    sid       = string
    service   = string
    actions   = list(string)
    condition = optional(map(map(list(string))), {})
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.service_statements : endswith(s.service, ".amazonaws.com")])
    error_message = "service must be an AWS service principal ending in .amazonaws.com."
  }

  validation {
    condition = alltrue(flatten([
      for s in var.service_statements : [for a in s.actions : startswith(a, "kms:") && a != "kms:*"]
    ]))
    error_message = "actions must be explicit kms: actions; kms:* is reserved for the account statement."
  }
}
