variable "name" {
  description = "API Management service name (globally unique: it names <name>.azure-api.net)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,48}[a-zA-Z0-9]$", var.name))
    error_message = "name must be 2-50 letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "location" {
  description = "Azure region of the gateway."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the gateway."
  type        = string
}

variable "sku_name" {
  description = "API Management SKU with VNet injection: Developer_1 (no SLA, dev) or Premium_<units> (zones, SLA)."
  type        = string

  validation {
    condition     = can(regex("^(Developer_1|Premium_[1-9][0-9]?)$", var.sku_name))
    error_message = "sku_name must be Developer_1 or Premium_<units>: only these inject the gateway into a VNet."
  }
}

variable "zones" {
  description = "Availability zones of the gateway and its public IP (Premium only); null for none."
  type        = list(string)
  default     = null
}

variable "publisher_name" {
  description = "Organisation shown as the API's publisher."
  type        = string
}

variable "publisher_email" {
  description = "Address API Management sends service notifications to."
  type        = string

  validation {
    condition     = can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", var.publisher_email))
    error_message = "publisher_email must be an e-mail address."
  }
}

variable "subnet_id" {
  description = "Subnet the gateway is injected into (its own, with the NSG rules API Management needs)."
  type        = string
}

variable "title" {
  description = "Human-readable name of the API."
  type        = string
}

variable "path" {
  description = "Path prefix of the API on the gateway (https://<name>.azure-api.net/<path>/v1/...)."
  type        = string
  default     = "api"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,31}$", var.path))
    error_message = "path must be 1-32 lowercase letters, digits or '-'."
  }
}

variable "backend_url" {
  description = "HTTPS base URL of the serving API inside the VNet."
  type        = string

  validation {
    condition     = startswith(var.backend_url, "https://") && !endswith(var.backend_url, "/")
    error_message = "backend_url must be an https:// URL without a trailing '/': the gateway never forwards in clear text."
  }
}

variable "max_request_bytes" {
  description = "Largest request body the gateway forwards (the API's APP_MAX_REQUEST_BYTES)."
  type        = number
  default     = 524288

  validation {
    condition     = var.max_request_bytes >= 1024
    error_message = "max_request_bytes must be at least 1024."
  }
}

variable "requests_per_minute_per_client" {
  description = "Requests per minute each client subscription may send."
  type        = number
  default     = 600

  validation {
    condition     = var.requests_per_minute_per_client >= 1
    error_message = "requests_per_minute_per_client must be at least 1."
  }
}

variable "requests_per_day_per_client" {
  description = "Requests per day each client subscription may send."
  type        = number
  default     = 500000

  validation {
    condition     = var.requests_per_day_per_client >= var.requests_per_minute_per_client
    error_message = "requests_per_day_per_client must be at least requests_per_minute_per_client."
  }
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace the gateway logs and metrics go to."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
