variable "name" {
  description = "Name stem of the workspace's resources, e.g. churn-dev."
  type        = string
}

variable "location" {
  description = "Azure region of the workspace."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the workspace (Azure Databricks adds its own managed one)."
  type        = string
}

variable "virtual_network_id" {
  description = "VNet the job clusters are injected into."
  type        = string
}

variable "subnets" {
  description = "The two dedicated subnets of the clusters (host = Databricks' public subnet, container = its private one), delegated to Microsoft.Databricks/workspaces: name, ID and the ID of its NSG association."
  type = object({
    host      = object({ name = string, id = string, nsg_association_id = string })
    container = object({ name = string, id = string, nsg_association_id = string })
  })
}

variable "private_endpoint_subnet_id" {
  description = "Subnet of the workspace's front-end private endpoints (REST API and browser sign-in)."
  type        = string
}

variable "private_dns_zone_id" {
  description = "ID of the privatelink.azuredatabricks.net zone linked to the VNet."
  type        = string
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key (versionless URL and ARM ID) of the workspace's managed services, managed disks and root storage."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "connector_identity_id" {
  description = "Resource ID of the user-assigned identity of the access connector: the one identity the jobs reach the lake with (its lake roles are granted by the iam module)."
  type        = string
}

variable "key_secret_id" {
  description = "ARM ID of the pseudonymisation key's Key Vault secret: the only secret Azure Databricks may read for this project (the secret scope's backend)."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace of the workspace's diagnostic logs."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
