variable "name" {
  description = "Name stem of the environment, e.g. shop-dev (the environment is cae-<name>)."
  type        = string
}

variable "location" {
  description = "Azure region of the Container Apps environment."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the environment, apps and jobs."
  type        = string
}

variable "infrastructure_subnet_id" {
  description = "Private subnet delegated to Microsoft.App/environments (at least /27)."
  type        = string
}

variable "vnet_id" {
  description = "VNet linked to the private DNS zone of the environment's internal domain."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace receiving console and system logs."
  type        = string
}

variable "registry_login_server" {
  description = "Container registry host the apps pull from with their managed identity."
  type        = string
}

variable "placeholder_image" {
  description = "Image deployed on creation, before CI has pushed the services; CI replaces it (`az containerapp update --image`) and Terraform ignores the image afterwards."
  type        = string
}

variable "apps" {
  description = "Long-running services, with internal HTTPS ingress when they listen on target_port (null: no ingress, e.g. a queue consumer): identity, port, readiness path, size, replicas, non-secret APP_* settings and Key Vault secret references (env var name -> versionless secret ID)."
  type = map(object({
    identity_id        = string
    identity_client_id = string
    target_port        = optional(number)
    readiness_path     = optional(string, "/readyz")
    cpu                = number
    memory             = string
    min_replicas       = number
    max_replicas       = number
    env                = optional(map(string), {})
    secrets            = optional(map(string), {})
  }))
}

variable "jobs" {
  description = "Batch services run as scheduled Container Apps jobs: identity, cron (UTC), size, timeout, non-secret APP_* settings, secrets (env name => versionless Key Vault secret URL, read with the job's identity) and, for another entry point of the image, its command."
  type = map(object({
    identity_id        = string
    identity_client_id = string
    cron_expression    = string
    command            = optional(list(string))
    cpu                = number
    memory             = string
    timeout_seconds    = number
    env                = optional(map(string), {})
    secrets            = optional(map(string), {})
  }))
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
