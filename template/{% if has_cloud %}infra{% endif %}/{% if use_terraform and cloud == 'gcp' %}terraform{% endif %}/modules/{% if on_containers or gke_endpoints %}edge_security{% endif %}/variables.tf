variable "project_id" {
  description = "Project that owns the policies."
  type        = string
}

variable "name" {
  description = "Name of the Cloud Armor and TLS policies."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 name of at most 63 characters."
  }
}

variable "description" {
  description = "What the Cloud Armor policy protects."
  type        = string
}

variable "rate_limit_per_minute" {
  description = "Requests per minute Cloud Armor admits per key (see rate_limit_key_header); 429 above."
  type        = number

  validation {
    condition     = var.rate_limit_per_minute >= 1
    error_message = "rate_limit_per_minute must be at least 1."
  }
}

variable "rate_limit_key_header" {
  description = "Header whose value keys the rate limit (the API key header: a budget per client); empty keys it on the client address."
  type        = string
  default     = ""
}
