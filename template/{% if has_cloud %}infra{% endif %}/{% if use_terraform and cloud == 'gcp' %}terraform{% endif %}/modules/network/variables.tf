variable "project_id" {
  description = "Project that owns the network."
  type        = string
}

variable "region" {
  description = "Region of the subnet, router and NAT."
  type        = string
}

variable "name" {
  description = "Name prefix of every network resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 label of at most 40 characters."
  }
}

variable "subnet_cidr" {
  description = "Primary range of the private subnet (every workload's private address)."
  type        = string

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && tonumber(split("/", var.subnet_cidr)[1]) <= 26
    error_message = "subnet_cidr must be an IPv4 CIDR block of /26 or larger."
  }
}

variable "secondary_ranges" {
  description = "Secondary range name => CIDR (alias IPs); empty when nothing needs them."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for cidr in values(var.secondary_ranges) : can(cidrhost(cidr, 0))])
    error_message = "every secondary range must be an IPv4 CIDR block."
  }
}

variable "extra_internal_ranges" {
  description = "More ranges treated as internal by the firewall (e.g. a peered control plane block)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.extra_internal_ranges : can(cidrhost(cidr, 0))])
    error_message = "every extra internal range must be an IPv4 CIDR block."
  }
}

variable "flow_log_sampling" {
  description = "Fraction of VPC flows recorded in flow logs (0 < x <= 1)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be in (0, 1]."
  }
}
