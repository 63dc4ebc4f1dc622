variable "name" {
  type        = string
  description = "Cluster name, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes minor version; upgrade one minor at a time."
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a supported EKS minor version such as 1.33."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the cluster."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets for the control-plane ENIs and the nodes (at least two zones)."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs subnets in at least two availability zones."
  }
}

variable "api_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the private API endpoint (the VPC, VPN or peered CI runner networks)."

  validation {
    condition     = length(var.api_access_cidrs) > 0 && alltrue([for c in var.api_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "api_access_cidrs must be non-empty, valid CIDRs and never 0.0.0.0/0."
  }
}

variable "logs_kms_key_arn" {
  type        = string
  description = "CMK encrypting the control-plane log group."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the control-plane log group."
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}

variable "node_instance_types" {
  type        = list(string)
  description = "Instance types of the managed node group (first one preferred)."
  default     = ["m6i.large"]

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "node_instance_types must not be empty."
  }
}

variable "node_capacity_type" {
  type        = string
  description = "ON_DEMAND, or SPOT for interruptible (dev) capacity."
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_scaling" {
  type = object({
    min     = number
    desired = number
    max     = number
  })
  description = "Node count bounds of the managed node group."
  default     = { min = 2, desired = 2, max = 6 }

  validation {
    condition     = var.node_scaling.min >= 1 && var.node_scaling.min <= var.node_scaling.desired && var.node_scaling.desired <= var.node_scaling.max
    error_message = "node_scaling must satisfy 1 <= min <= desired <= max."
  }
}

variable "node_disk_size_gib" {
  type        = number
  description = "Root volume size of each node."
  default     = 50

  validation {
    condition     = var.node_disk_size_gib >= 20 && var.node_disk_size_gib <= 1000
    error_message = "node_disk_size_gib must be between 20 and 1000."
  }
}

variable "admin_role_arns" {
  type        = list(string)
  description = "IAM roles granted cluster-admin through EKS access entries (platform team, break-glass)."
  default     = []

  validation {
    condition     = alltrue([for arn in var.admin_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "admin_role_arns must be IAM role ARNs."
  }
}

variable "deployer_role_arn" {
  type        = string
  description = "CI role that applies the Kubernetes overlay (cluster admin through an access entry)."
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (CI may only create bounded roles)."
}
