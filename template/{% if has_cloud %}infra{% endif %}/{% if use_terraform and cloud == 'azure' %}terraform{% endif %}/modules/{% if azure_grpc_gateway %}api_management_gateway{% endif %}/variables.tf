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
  description = "API Management SKU with self-hosted gateways: Developer_1 (no SLA, dev) or Premium_<units> (SLA)."
  type        = string

  validation {
    condition     = can(regex("^(Developer_1|Premium_[1-9][0-9]?)$", var.sku_name))
    error_message = "sku_name must be Developer_1 or Premium_<units>: only these tiers have self-hosted gateways."
  }
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

variable "title" {
  description = "Human-readable name of the API."
  type        = string
}

variable "gateway_name" {
  description = "Name of the self-hosted gateway resource (the pods in AKS sign in as it)."
  type        = string
  default     = "aks"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,78}[a-z0-9]$", var.gateway_name))
    error_message = "gateway_name must be 2-80 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "host_name" {
  description = "Public host name of the gRPC API (DNS points at the self-hosted gateway's load balancer)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.host_name))
    error_message = "host_name must be a lowercase fully qualified domain name."
  }
}

variable "key_vault_id" {
  description = "Key Vault holding the listener's certificate (ID)."
  type        = string
}

variable "key_vault_uri" {
  description = "Key Vault holding the listener's certificate (URI, ending in '/')."
  type        = string

  validation {
    condition     = startswith(var.key_vault_uri, "https://") && endswith(var.key_vault_uri, "/")
    error_message = "key_vault_uri must be the vault's https:// URI ending in '/'."
  }
}

variable "certificate_name" {
  description = "Key Vault certificate of host_name (imported or issued there; its private key never leaves Key Vault and API Management)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,127}$", var.certificate_name))
    error_message = "certificate_name must be 1-127 letters, digits or '-'."
  }
}

variable "proto" {
  description = "The serving API's .proto (the committed file in the contracts package): the gRPC API's definition."
  type        = string

  validation {
    condition     = can(regex("(?m)^service [A-Za-z]", var.proto))
    error_message = "proto must be a .proto file that defines a service."
  }
}

variable "backend_url" {
  description = "Address of serving inside the cluster (its Service over TLS; only the gateway pods may reach it). Its host name is the subject of serving's certificate."
  type        = string

  validation {
    condition     = can(regex("^https://[a-z0-9-]+\\.[a-z0-9-]+\\.svc\\.cluster\\.local(:[0-9]+)?$", var.backend_url))
    error_message = "backend_url must be the in-cluster Service address over TLS (https://<service>.<namespace>.svc.cluster.local[:port]): API Management's gRPC backends must be HTTPS."
  }
}

variable "serving_certificate_name" {
  description = "Key Vault certificate of serving's Service name, issued by Key Vault (self-signed) and synced into the serving pods."
  type        = string
  default     = "serving-grpc-tls"

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,127}$", var.serving_certificate_name))
    error_message = "serving_certificate_name must be 1-127 letters, digits or '-'."
  }
}

variable "deployer_principal_id" {
  description = "Object ID of the identity running Terraform (it creates serving's certificate in Key Vault)."
  type        = string
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
