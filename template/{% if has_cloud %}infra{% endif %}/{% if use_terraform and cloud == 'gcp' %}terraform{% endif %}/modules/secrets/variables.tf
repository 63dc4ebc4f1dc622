variable "project_id" {
  description = "Project that owns the secrets."
  type        = string
}

variable "region" {
  description = "The only location secret payloads are replicated to (user-managed replication pins data residency and the CMEK key)."
  type        = string
}

variable "name" {
  description = "Prefix of every secret id."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,200}$", var.name))
    error_message = "name must be letters, digits, '_' or '-'."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key that encrypts the payloads (the Secret Manager service agent must be allowed to use it)."
  type        = string
}

variable "secrets" {
  description = "Secret name => members allowed to read its versions. Values are set out of band, except where generated is true: Terraform then writes 64 random characters once (ephemeral, never in state)."
  type = map(object({
    description = string
    accessors   = list(string)
    generated   = optional(bool, false)
  }))

  validation {
    condition     = alltrue([for name in keys(var.secrets) : can(regex("^[a-z][a-z0-9-]{0,40}$", name))])
    error_message = "secret names must be lowercase letters, digits or '-', starting with a letter."
  }
}

variable "labels" {
  description = "Labels applied to every secret."
  type        = map(string)
  default     = {}
}
