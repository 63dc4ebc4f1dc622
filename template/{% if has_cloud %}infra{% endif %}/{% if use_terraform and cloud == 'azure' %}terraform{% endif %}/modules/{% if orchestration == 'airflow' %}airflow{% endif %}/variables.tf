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
