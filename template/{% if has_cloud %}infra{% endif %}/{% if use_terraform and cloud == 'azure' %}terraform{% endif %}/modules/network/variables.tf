variable "name" {
  description = "Name stem of the network resources, e.g. shop-dev."
  type        = string
}

variable "location" {
  description = "Azure region of the VNet."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the network."
  type        = string
}

variable "address_space" {
  description = "VNet address space (one IPv4 CIDR)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.address_space))
    error_message = "address_space must be an IPv4 CIDR such as 10.40.0.0/16."
  }
}

variable "subnets" {
  description = "Private subnets by name: CIDR, an optional service delegation (e.g. Microsoft.App/environments) and inbound flows to allow by name (source service tag or CIDR, TCP port, priority below 4096). No subnet gets default outbound internet access."
  type = map(object({
    address_prefix = string
    delegation     = optional(string)
    allow_inbound = optional(map(object({
      priority = number
      source   = string
      port     = number
    })), {})
  }))

  validation {
    condition     = alltrue([for s in values(var.subnets) : can(cidrnetmask(s.address_prefix))])
    error_message = "Every subnet address_prefix must be an IPv4 CIDR."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.subnets) : [for rule in values(s.allow_inbound) : rule.priority >= 100 && rule.priority < 4096]]))
    error_message = "allow_inbound priorities must be between 100 and 4095, before the explicit internet deny at 4096."
  }
}

variable "private_dns_zones" {
  description = "Private DNS zones to create and link to the VNet, by short key (e.g. blob = privatelink.blob.core.windows.net)."
  type        = map(string)
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
