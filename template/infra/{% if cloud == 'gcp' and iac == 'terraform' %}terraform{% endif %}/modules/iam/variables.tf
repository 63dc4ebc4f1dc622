variable "project_id" {
  description = "Project that owns the service accounts and the workload identity pool."
  type        = string
}

variable "environment" {
  description = "Environment name, suffixed to every service account id (dev, prod)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "services" {
  description = "Service => role it holds on the data lake bucket (objectViewer for readers, objectUser for writers)."
  type = map(object({
    lake_role = string
  }))

  validation {
    condition     = alltrue([for spec in values(var.services) : contains(["roles/storage.objectViewer", "roles/storage.objectUser"], spec.lake_role)])
    error_message = "lake_role must be roles/storage.objectViewer or roles/storage.objectUser."
  }

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z][a-z0-9-]{1,20}$", name))])
    error_message = "service names must be 2-21 lowercase letters, digits or '-' (service account ids are at most 30 characters)."
  }
}

variable "data_lake_bucket" {
  description = "Name of the data lake bucket."
  type        = string
}

variable "kubernetes_service_accounts" {
  description = "Service => '<namespace>/<ServiceAccount>' allowed to act as that service's account through GKE Workload Identity; empty without GKE."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for ksa in values(var.kubernetes_service_accounts) : can(regex("^[a-z0-9-]{1,63}/[a-z0-9-]{1,253}$", ksa))])
    error_message = "each value must be '<namespace>/<ServiceAccount>'."
  }
}

variable "ci_oidc" {
  description = "OIDC provider of the CI system: issuer, audiences, claim mapping and the condition a token must meet."
  type = object({
    provider_id         = string
    display_name        = string
    issuer_uri          = string
    allowed_audiences   = list(string)
    attribute_mapping   = map(string)
    attribute_condition = string
    jwks_json           = optional(string)
  })

  validation {
    condition     = startswith(var.ci_oidc.issuer_uri, "https://")
    error_message = "ci_oidc.issuer_uri must be an https URL."
  }

  validation {
    condition     = trimspace(var.ci_oidc.attribute_condition) != ""
    error_message = "ci_oidc.attribute_condition must restrict which tokens are accepted."
  }
}

variable "ci_principal" {
  description = "Principal set (relative to the pool) allowed to impersonate the CI service account: 'attribute.<name>/<value>', or '*' when the provider's condition is the only gate."
  type        = string

  validation {
    condition     = can(regex("^(\\*|attribute\\.[a-z_]+/.+)$", var.ci_principal))
    error_message = "ci_principal must be '*' or look like 'attribute.<name>/<value>'."
  }
}

variable "ci_project_roles" {
  description = "Project-level predefined roles of the CI identity. Basic roles and project-wide service account impersonation are refused."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for role in var.ci_project_roles : startswith(role, "roles/") && !contains([
        "roles/owner", "roles/editor", "roles/viewer",
        "roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator",
      ], role)
    ])
    error_message = "ci_project_roles must be predefined roles other than owner, editor, viewer, serviceAccountUser and serviceAccountTokenCreator."
  }
}

variable "ci_acts_as_workloads" {
  description = "Allow the CI identity to deploy workloads that run as the service accounts (Cloud Run)."
  type        = bool
  default     = false
}

variable "terraform_state_bucket" {
  description = "Bucket of the remote Terraform state CI reads and locks; empty to grant nothing."
  type        = string
  default     = ""
}
