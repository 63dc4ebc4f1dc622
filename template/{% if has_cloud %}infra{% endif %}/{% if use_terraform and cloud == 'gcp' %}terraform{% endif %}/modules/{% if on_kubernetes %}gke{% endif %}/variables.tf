variable "project_id" {
  description = "Project that owns the cluster."
  type        = string
}

variable "region" {
  description = "Region of the (regional, three-zone) cluster."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, prod), suffixed to the node service account id."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "name" {
  description = "Cluster name."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 label of at most 40 characters."
  }
}

variable "network_id" {
  description = "VPC the cluster is attached to."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet of the nodes."
  type        = string
}

variable "pods_range_name" {
  description = "Secondary range of the subnet used for pod IPs."
  type        = string
}

variable "services_range_name" {
  description = "Secondary range of the subnet used for Service IPs."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "/28 block of the control plane's private endpoint (must not overlap any subnet)."
  type        = string

  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be an IPv4 /28 block."
  }
}

variable "enable_private_endpoint" {
  description = "Disable the control plane's public IP endpoint (reach it privately or through the DNS endpoint)."
  type        = bool
  default     = true
}

variable "enable_dns_endpoint" {
  description = "Allow the IAM-authorised DNS endpoint of the control plane from outside the VPC (how CI runners connect)."
  type        = bool
  default     = true
}

variable "master_authorized_networks" {
  description = "Name => CIDR allowed to reach the control plane IP endpoints (e.g. a bastion or VPN range)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for cidr in values(var.master_authorized_networks) : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "master_authorized_networks must be IPv4 CIDR blocks and never 0.0.0.0/0."
  }
}

variable "release_channel" {
  description = "GKE release channel (automatic, tested upgrades)."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key for Kubernetes secrets (application-layer encryption) and node boot disks."
  type        = string
}

variable "machine_type" {
  description = "Machine type of the nodes."
  type        = string
  default     = "e2-standard-4"
}

variable "disk_size_gb" {
  description = "Boot disk size of each node, in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.disk_size_gb >= 20
    error_message = "disk_size_gb must be at least 20."
  }
}

variable "node_count_min" {
  description = "Minimum nodes per zone."
  type        = number
  default     = 1

  validation {
    condition     = var.node_count_min >= 0
    error_message = "node_count_min must not be negative."
  }
}

variable "node_count_max" {
  description = "Maximum nodes per zone."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count_max >= 1 && var.node_count_max >= var.node_count_min
    error_message = "node_count_max must be at least 1 and at least node_count_min."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the cluster (terraform destroy fails until this is false)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels of the node VMs (the cluster itself gets the provider's default labels)."
  type        = map(string)
  default     = {}
}

variable "deployer_members" {
  description = "Name => member (the CI identity) allowed to act as the node service account when it applies node pool changes."
  type        = map(string)
  default     = {}
}
