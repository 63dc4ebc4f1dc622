variable "project_id" {
  description = "Project that owns the repository."
  type        = string
}

variable "region" {
  description = "Region of the repository (images are pulled from <region>-docker.pkg.dev)."
  type        = string
}

variable "name" {
  description = "Repository id."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be lowercase letters, digits or '-', starting with a letter."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key that encrypts the images (the Artifact Registry service agent must be allowed to use it)."
  type        = string
}

variable "keep_recent_versions" {
  description = "Number of most recent versions of each image that cleanup never deletes."
  type        = number
  default     = 20

  validation {
    condition     = var.keep_recent_versions >= 1
    error_message = "keep_recent_versions must be at least 1."
  }
}

variable "readers" {
  description = "Name => member allowed to pull images (the runtime's pulling identity). Names are static keys: members may be unknown until apply."
  type        = map(string)
  default     = {}
}

variable "writers" {
  description = "Name => member allowed to push images (the CI identity)."
  type        = map(string)
  default     = {}
}

variable "labels" {
  description = "Labels applied to the repository."
  type        = map(string)
  default     = {}
}
