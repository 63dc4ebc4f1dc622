variable "name" {
  type        = string
  description = "Name prefix of every secret, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "secrets" {
  type        = map(string)
  description = "Secret id -> description. Values are set out of band, except for the ids in generated."

  validation {
    condition     = alltrue([for id in keys(var.secrets) : can(regex("^[a-z][a-z0-9_]{0,62}$", id))])
    error_message = "secret ids must be lowercase letters, digits or '_'."
  }
}

variable "generated" {
  type        = set(string)
  description = "Ids of secrets whose value Terraform generates once (64 random characters, never in state)."
  default     = []

  validation {
    condition     = alltrue([for id in var.generated : contains(keys(var.secrets), id)])
    error_message = "every generated id must be a key of secrets."
  }
}

variable "recovery_window_in_days" {
  type        = number
  description = "Days a deleted secret can be restored."
  default     = 30

  validation {
    condition     = var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30
    error_message = "recovery_window_in_days must be between 7 and 30."
  }
}
