variable "name" {
  type        = string
  description = "Name prefix of every resource, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "cidr_block" {
  type        = string
  description = "IPv4 CIDR of the VPC; split into one public and one private subnet per availability zone."

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to spread subnets over."
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (EKS and ALBs need two zones; the subnet plan fits three)."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all zones (cheaper, for dev) instead of one per zone (zone-resilient egress)."
  default     = false
}

variable "interface_endpoints" {
  type        = list(string)
  description = "AWS services reached through interface VPC endpoints, so their traffic never leaves the VPC."
  default     = ["ecr.api", "ecr.dkr", "logs", "sts", "secretsmanager", "kms"]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints must be service short names such as ecr.api or sts."
  }
}

variable "flow_log_kms_key_arn" {
  type        = string
  description = "CMK that encrypts the VPC flow log group."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the VPC flow log group."
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster whose load balancers may use these subnets (subnet discovery tags); null without EKS."
  default     = null
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (CI may only create bounded roles)."
}
