variable "name" {
  description = "Name stem of the cluster, e.g. shop-dev (the cluster is aks-<name>)."
  type        = string
}

variable "location" {
  description = "Azure region of the cluster."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the cluster."
  type        = string
}

variable "tenant_id" {
  description = "Microsoft Entra tenant that authenticates cluster users."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version (patches are applied by the automatic upgrade channel)."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.34."
  }
}

variable "admin_group_object_ids" {
  description = "Entra ID groups that get cluster-admin through Azure RBAC (no local accounts exist)."
  type        = list(string)

  validation {
    condition     = length(var.admin_group_object_ids) > 0
    error_message = "At least one admin group is required: local accounts are disabled."
  }
}

variable "node_subnet_id" {
  description = "Private subnet of the node pools."
  type        = string
}

variable "system_node_pool" {
  description = "System pool (critical add-ons only): VM size and autoscaling bounds."
  type = object({
    vm_size   = string
    min_count = number
    max_count = number
  })

  validation {
    condition     = var.system_node_pool.min_count >= 1 && var.system_node_pool.max_count >= var.system_node_pool.min_count
    error_message = "system_node_pool needs 1 <= min_count <= max_count."
  }
}

variable "workload_node_pool" {
  description = "User pool running the services: VM size and autoscaling bounds."
  type = object({
    vm_size   = string
    min_count = number
    max_count = number
  })

  validation {
    condition     = var.workload_node_pool.min_count >= 0 && var.workload_node_pool.max_count >= max(var.workload_node_pool.min_count, 1)
    error_message = "workload_node_pool needs 0 <= min_count <= max_count and max_count >= 1."
  }
}

variable "availability_zones" {
  description = "Availability zones the node pools spread over (empty for regions without zones)."
  type        = list(string)
  default     = ["1", "2", "3"]
}

variable "encryption_key" {
  description = "Customer-managed Key Vault key for OS and data disks (versionless URL and ARM ID)."
  type = object({
    versionless_id          = string
    resource_versionless_id = string
  })
}

variable "registry_id" {
  description = "Container registry the kubelet identity pulls from."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Log Analytics workspace for Container Insights, Defender and control-plane logs."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "blob_driver_enabled" {
  type        = bool
  description = "Enable the Azure Blob CSI driver (Airflow's DAG folder, orchestration=airflow)."
  default     = false
}
