variable "project_id" {
  description = "Project that owns the gateway."
  type        = string
}

variable "region" {
  description = "Region of the gateway (one API Gateway supports, e.g. europe-west1, us-central1)."
  type        = string
}

variable "name" {
  description = "API, gateway and config name stem; the backend caller's service account is <name, at most 26 characters>-gw."
  type        = string

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,48}[a-z0-9]$", var.name))
    error_message = "name must be 6-50 lowercase letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "title" {
  description = "Human-readable name of the API."
  type        = string
}

variable "backend_url" {
  description = "HTTPS base URL of the serving API the gateway forwards to."
  type        = string

  validation {
    condition     = startswith(var.backend_url, "https://") && !endswith(var.backend_url, "/")
    error_message = "backend_url must be an https:// URL without a trailing '/': the gateway never forwards in clear text."
  }
}

variable "backend_audience" {
  description = "Audience of the ID token the gateway presents to the backend (the Cloud Run service URL, or the backend URL)."
  type        = string
}

variable "backend_deadline_seconds" {
  description = "Seconds the gateway waits for the backend."
  type        = number
  default     = 30

  validation {
    condition     = var.backend_deadline_seconds > 0 && var.backend_deadline_seconds <= 300
    error_message = "backend_deadline_seconds must be between 1 and 300."
  }
}

variable "requests_per_minute_per_consumer" {
  description = "Requests per minute each consumer (the Google Cloud project its API key belongs to) may send."
  type        = number
  default     = 600

  validation {
    condition     = var.requests_per_minute_per_consumer >= 1
    error_message = "requests_per_minute_per_consumer must be at least 1."
  }
}

variable "config_deployer_members" {
  description = "IAM members that deploy API configs (CI): they may act as the gateway's backend caller, and only as it."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels applied to the API, its configs and the gateway."
  type        = map(string)
  default     = {}
}
