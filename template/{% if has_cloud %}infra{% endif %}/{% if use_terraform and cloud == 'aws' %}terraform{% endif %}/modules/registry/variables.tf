variable "name" {
  type        = string
  description = "Name prefix of the KMS key, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "namespace" {
  type        = string
  description = "Repository namespace (the environment), so dev and prod can share an account without sharing images."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,29}$", var.namespace))
    error_message = "namespace must be lowercase letters, digits or '-'."
  }
}

variable "image_prefix" {
  type        = string
  description = "Image name prefix (the project slug with dashes); repositories are <namespace>/<image_prefix>-<service>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,39}$", var.image_prefix))
    error_message = "image_prefix must be lowercase letters, digits or '-'."
  }
}

variable "services" {
  type        = set(string)
  description = "Services that get a repository."

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : can(regex("^[a-z][a-z0-9-]*$", s))])
    error_message = "services must be non-empty lowercase names."
  }
}

variable "keep_images" {
  type        = number
  description = "Tagged images kept per repository; older ones expire (running tasks keep their pulled layers)."
  default     = 50

  validation {
    condition     = var.keep_images >= 5 && var.keep_images <= 1000
    error_message = "keep_images must be between 5 and 1000."
  }
}

variable "promotion_reader_arns" {
  type        = list(string)
  description = "IAM role ARNs that may pull the images (in dev: prod's CI role, which promotes the tested digests)."
  default     = []

  validation {
    condition     = alltrue([for arn in var.promotion_reader_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "promotion_reader_arns must hold IAM role ARNs."
  }
}
