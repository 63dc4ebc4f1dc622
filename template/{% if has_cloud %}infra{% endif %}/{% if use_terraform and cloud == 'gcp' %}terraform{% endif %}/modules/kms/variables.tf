variable "project_id" {
  description = "Project that owns the key ring."
  type        = string
}

variable "region" {
  description = "Location of the key ring; CMEK keys must live where the data they protect lives."
  type        = string
}

variable "name" {
  description = "Key ring name (key rings cannot be deleted, so a name is never reused)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,63}$", var.name))
    error_message = "name must be 1-63 letters, digits, '_' or '-'."
  }
}

variable "keys" {
  description = "Key name => members (service agents) granted encrypt/decrypt on that key."
  type        = map(list(string))

  validation {
    condition     = alltrue([for key in keys(var.keys) : can(regex("^[a-z][a-z0-9-]{0,62}$", key))])
    error_message = "key names must be lowercase letters, digits or '-', starting with a letter."
  }
}

variable "rotation_period" {
  description = "Automatic rotation period of every key, in seconds with an 's' suffix (at most 90 days)."
  type        = string
  default     = "7776000s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.rotation_period)) && tonumber(trimsuffix(var.rotation_period, "s")) >= 86400 && tonumber(trimsuffix(var.rotation_period, "s")) <= 7776000
    error_message = "rotation_period must be between 86400s (1 day) and 7776000s (90 days)."
  }
}

variable "protection_level" {
  description = "SOFTWARE or HSM (FIPS 140-2 level 3) key material."
  type        = string
  default     = "SOFTWARE"

  validation {
    condition     = contains(["SOFTWARE", "HSM"], var.protection_level)
    error_message = "protection_level must be SOFTWARE or HSM."
  }
}

variable "labels" {
  description = "Labels applied to every key."
  type        = map(string)
  default     = {}
}
