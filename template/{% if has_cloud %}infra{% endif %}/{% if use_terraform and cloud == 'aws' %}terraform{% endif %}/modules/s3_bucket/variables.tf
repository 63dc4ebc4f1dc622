variable "name" {
  type        = string
  description = "Globally unique bucket name."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name)) && !strcontains(var.name, "..")
    error_message = "name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key that encrypts every object (SSE-KMS with an S3 bucket key)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives the S3 server access logs of this bucket."
}

variable "access_log_prefix" {
  type        = string
  description = "Key prefix of this bucket's access logs in access_log_bucket; ends with '/'."

  validation {
    condition     = endswith(var.access_log_prefix, "/")
    error_message = "access_log_prefix must end with '/'."
  }
}

variable "policy_statements" {
  description = "Extra bucket policy statements for AWS service principals (e.g. CloudTrail delivery)."
  type = list(object({
    sid       = string
    service   = string
    actions   = list(string)
    resources = list(string)
    condition = optional(map(map(list(string))), {})
  }))
  default = []
}

variable "lifecycle_rules" {
  description = <<-EOT
    Lifecycle rules. Each rule also expires noncurrent versions, and a fixed rule aborts incomplete
    uploads, so a versioned bucket never grows without bound. Empty prefix = whole bucket.
  EOT
  type = list(object({
    id                         = string
    prefix                     = optional(string, "")
    transitions                = optional(list(object({ days = number, storage_class = string })), [])
    expiration_days            = optional(number)
    noncurrent_expiration_days = optional(number, 90)
  }))

  validation {
    condition     = length(var.lifecycle_rules) > 0
    error_message = "At least one lifecycle rule is required."
  }

  validation {
    condition = alltrue(flatten([
      for r in var.lifecycle_rules : [
        for t in r.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], t.storage_class)
      ]
    ]))
    error_message = "storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Allow `terraform destroy` to delete a non-empty bucket. Keep false outside throwaway environments."
  default     = false
}
