variable "name" {
  type        = string
  description = "Name prefix of every resource, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,25}[a-z0-9]$", var.name))
    error_message = "name must be 3-27 lowercase letters, digits or '-' (load balancer names are at most 32 characters)."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the internal NLB and the serving targets."
}

variable "target_security_group_id" {
  type        = string
  description = "Security group of the serving targets (the ECS serving tasks, or the EKS cluster security group of nodes and pods); it gets the API port from the NLB only."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of the internal NLB (at least two zones)."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs subnets in at least two availability zones."
  }
}

variable "target_port" {
  type        = number
  description = "Port the serving API listens on in its task or pod."
  default     = 8000
}

variable "clients" {
  type = map(object({
    rate_limit    = number
    burst_limit   = number
    quota_per_day = number
  }))
  description = "API client -> its usage plan: steady requests/s, burst, requests per day. Each client gets its own API key."

  validation {
    condition     = length(var.clients) > 0 && alltrue([for name in keys(var.clients) : can(regex("^[a-z][a-z0-9-]{0,30}$", name))])
    error_message = "clients needs at least one client, named with lowercase letters, digits or '-'."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.rate_limit > 0 && c.burst_limit >= 1 && c.quota_per_day >= 1])
    error_message = "every client needs rate_limit > 0, burst_limit >= 1 and quota_per_day >= 1."
  }
}

variable "web_acl_arn" {
  type        = string
  description = "AWS WAF web ACL (modules/waf) that inspects every request to the stage."
}

variable "stage_rate_limit" {
  type        = number
  description = "Requests/s the whole stage accepts, across clients (a ceiling before the usage plans)."
  default     = 200
}

variable "stage_burst_limit" {
  type        = number
  description = "Burst the whole stage accepts, across clients."
  default     = 400
}

variable "timeout_milliseconds" {
  type        = number
  description = "Integration timeout: how long the gateway waits for the serving API."
  default     = 10000

  validation {
    condition     = var.timeout_milliseconds >= 50 && var.timeout_milliseconds <= 29000
    error_message = "timeout_milliseconds must be between 50 and 29000."
  }
}

variable "domain_name" {
  type        = string
  description = "Custom domain of the API (TLS 1.2+); null serves on the execute-api endpoint."
  default     = null
}

variable "certificate_arn" {
  type        = string
  description = "Regional ACM certificate of domain_name."
  default     = null

  validation {
    condition     = (var.domain_name == null) == (var.certificate_arn == null)
    error_message = "domain_name and certificate_arn go together: set both or neither."
  }
}

variable "manage_account_logging_role" {
  type        = bool
  description = "Set API Gateway's CloudWatch role of this account and region; false if another environment here owns it."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "CMK encrypting the access log group."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the access log group."
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the NLB from deletion (turn off only for throwaway environments)."
  default     = true
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (CI may only create bounded roles)."
}
