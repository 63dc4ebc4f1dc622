variable "name" {
  description = "Name stem of the identities, e.g. shop-dev (identities are id-<name>-<service>)."
  type        = string
}

variable "location" {
  description = "Azure region of the managed identities."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the managed identities."
  type        = string
}

variable "services" {
  description = "Workload identity per service: the lake prefixes it reads and writes (writers also read what they write; none for a service added with aiarch add service until its team grants some), the Key Vault secrets it reads (ARM IDs: each role assignment is scoped to one secret), whether it pulls images itself (Container Apps) rather than through the AKS kubelet, and whether pods run as it (false for an identity of another service, such as the Azure Databricks access connector's)."
  type = map(object({
    lake_read     = list(string)
    lake_write    = list(string)
    secret_ids    = optional(list(string), [])
    pulls_images  = bool
    in_kubernetes = optional(bool, true)
  }))

  validation {
    condition     = alltrue(flatten([for service in values(var.services) : [for prefix in concat(service.lake_read, service.lake_write) : can(regex("^[a-z][a-z0-9_-]*(/[a-z0-9_-]+)*/$", prefix))]]))
    error_message = "lake prefixes must be relative folder names ending in '/', such as lake/raw/."
  }
}

variable "data_lake_container_id" {
  description = "ARM ID of the lake container: data roles are scoped to it, not to the account."
  type        = string
}

variable "registry_id" {
  description = "Container registry the services pull from and CI pushes to."
  type        = string
}

variable "kubernetes_federation" {
  description = "AKS OIDC issuer and namespace; each service's ServiceAccount (named like the service) is federated to its identity. Null for Container Apps."
  type = object({
    oidc_issuer_url = string
    namespace       = string
  })
  default = null
}

variable "ci_federated_subjects" {
  description = "OIDC issuer and subject of every CI context allowed to act as the CI identity (e.g. a GitHub environment, a GitLab protected branch)."
  type = map(object({
    issuer  = string
    subject = string
  }))

  validation {
    condition     = alltrue([for c in values(var.ci_federated_subjects) : startswith(c.issuer, "https://")])
    error_message = "Every CI issuer must be an https:// URL."
  }

  validation {
    condition     = alltrue([for c in values(var.ci_federated_subjects) : !strcontains(c.subject, ":pull_request") && !strcontains(c.subject, "/job/PR-")])
    error_message = "The deploy identity must not trust pull/merge requests; they federate into the plan identity."
  }
}

variable "ci_role_assignments" {
  description = "Roles of the CI identity by a stable key: role name and the narrowest scope that works (registry, cluster namespace, container app)."
  type = map(object({
    role  = string
    scope = string
  }))
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "ci_plan_federated_subjects" {
  description = "OIDC issuer and subject of the pull/merge request contexts allowed to act as the read-only plan identity; empty creates no plan identity."
  type = map(object({
    issuer  = string
    subject = string
  }))
  default = {}

  validation {
    condition     = alltrue([for c in values(var.ci_plan_federated_subjects) : startswith(c.issuer, "https://")])
    error_message = "Every CI issuer must be an https:// URL."
  }
}

variable "ci_plan_role_assignments" {
  description = "Read-only roles of the plan identity by a stable key: role name and scope."
  type = map(object({
    role  = string
    scope = string
  }))
  default = {}

  validation {
    condition     = alltrue([for a in values(var.ci_plan_role_assignments) : contains(["Reader", "Key Vault Reader", "Monitoring Reader", "Storage Blob Data Reader"], a.role)])
    error_message = "The plan identity may hold read-only roles only (Reader, Key Vault Reader, Monitoring Reader, Storage Blob Data Reader)."
  }
}
