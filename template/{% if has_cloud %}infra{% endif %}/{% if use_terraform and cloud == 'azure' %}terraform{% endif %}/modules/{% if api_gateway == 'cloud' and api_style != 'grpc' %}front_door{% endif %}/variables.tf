variable "name" {
  description = "Front Door profile and endpoint name (the endpoint's host is <name>-<hash>.<zone>.azurefd.net)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,44}[a-zA-Z0-9]$", var.name))
    error_message = "name must be 2-46 letters, digits or '-', starting and ending with a letter or digit."
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the Front Door profile and its WAF policy."
  type        = string
}

variable "origin_host" {
  description = "Host name of API Management's gateway (<name>.azure-api.net), the only origin."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.origin_host))
    error_message = "origin_host must be a lowercase fully qualified domain name, without scheme or path."
  }
}

variable "path" {
  description = "Path prefix of the API (API Management's API path): only /<path>/* is routed."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,31}$", var.path))
    error_message = "path must be 1-32 lowercase letters, digits or '-'."
  }
}

variable "requests_per_minute_per_ip" {
  description = "Requests per minute the WAF admits from one client address before blocking it (403) for the rest of the minute."
  type        = number
  default     = 1200

  validation {
    condition     = var.requests_per_minute_per_ip >= 10 && floor(var.requests_per_minute_per_ip) == var.requests_per_minute_per_ip
    error_message = "requests_per_minute_per_ip must be a whole number of at least 10 (Front Door's minimum)."
  }
}

variable "response_timeout_seconds" {
  description = "How long Front Door waits for API Management's response."
  type        = number
  default     = 60

  validation {
    condition     = var.response_timeout_seconds >= 16 && var.response_timeout_seconds <= 240
    error_message = "response_timeout_seconds must be between 16 and 240."
  }
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace the access, WAF and health-probe logs go to."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
