variable "name" {
  type        = string
  description = "Name prefix of the environment's resources."
}

variable "location" {
  type        = string
  description = "Azure region."
}

variable "resource_group_name" {
  type        = string
  description = "Resource group of the identity."
}

variable "storage_account_id" {
  type        = string
  description = "The lake's storage account (private endpoint, customer-managed key): it holds the DAG and log containers."
}

variable "storage_account_name" {
  type        = string
  description = "Name of that storage account."
}

variable "oidc_issuer_url" {
  type        = string
  description = "OIDC issuer of the AKS cluster (workload identity)."
}

variable "namespace" {
  type        = string
  description = "Namespace of the Airflow release (Helm chart apache-airflow/airflow)."
  default     = "airflow"
}

variable "tags" {
  type        = map(string)
  description = "Tags of every resource."
  default     = {}
}

variable "tenant_id" {
  type        = string
  description = "Entra ID tenant of the database's administrators."
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key of the metadata database (versionless URL and ARM ID)."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "database_subnet_id" {
  type        = string
  description = "Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers (VNet integration)."
}

variable "database_private_dns_zone_id" {
  type        = string
  description = "Private DNS zone (*.postgres.database.azure.com) linked to the VNet, resolving the server."
}

variable "database" {
  description = "Flexible Server of Airflow's metadata DB: PostgreSQL major version, SKU and storage."
  type = object({
    version    = optional(string, "16")
    sku_name   = optional(string, "B_Standard_B1ms")
    storage_mb = optional(number, 32768)
  })
  default = {}
}

variable "log_analytics_workspace_id" {
  type        = string
  description = "Log Analytics workspace receiving the database's logs and metrics."
}
