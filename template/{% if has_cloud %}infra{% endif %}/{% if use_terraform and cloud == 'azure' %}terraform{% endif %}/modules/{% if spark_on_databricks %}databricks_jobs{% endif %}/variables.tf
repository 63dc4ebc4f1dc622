variable "name" {
  description = "Name stem of the workspace objects, e.g. churn-dev."
  type        = string
}

variable "runner_application_ids" {
  description = "Client IDs of the Entra identities that submit the features runs, by role: ci (`make spark-run` in CI) and the orchestrator's, where its features task submits runs. Each is added to the workspace as a service principal that can do nothing else."
  type        = map(string)

  validation {
    condition     = contains(keys(var.runner_application_ids), "ci")
    error_message = "runner_application_ids needs the ci runner (`make spark-run`)."
  }
}

variable "staging_readers" {
  description = "Runners (roles) that submit runs on the files CI uploads to its own folder (kfp: `scripts/deploy.sh kfp-submit` stages them, the pipeline's features step submits the run) and may read that folder, nothing else of it."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for role in var.staging_readers : contains(keys(var.runner_application_ids), role) && role != "ci"])
    error_message = "staging_readers must name runners of runner_application_ids other than ci."
  }
}

variable "spark_version" {
  description = "Databricks Runtime of the job clusters, on the project's PySpark line (15.4 LTS: Spark 3.5, Python 3.11)."
  type        = string
}

variable "node_type_id" {
  description = "Azure VM size of the job clusters' driver and workers."
  type        = string
}

variable "max_workers" {
  description = "Most workers one features run may start."
  type        = number

  validation {
    condition     = var.max_workers >= 1 && var.max_workers <= 32
    error_message = "max_workers must be between 1 and 32."
  }
}

variable "lake" {
  description = "The lake: storage account and container names (the container's lake/ folder becomes the runs' volume)."
  type = object({
    account_name   = string
    container_name = string
  })
}

variable "access_connector_id" {
  description = "ARM ID of the access connector (azurerm_databricks_access_connector)."
  type        = string
}

variable "connector_identity_id" {
  description = "Resource ID of the access connector's user-assigned identity."
  type        = string
}

variable "key_vault" {
  description = "The project's Key Vault (ARM ID and URI): the backend of the features job's secret scope."
  type = object({
    id  = string
    uri = string
  })
}

variable "key_secret_name" {
  description = "Key Vault name of the pseudonymisation key's secret (the only secret the scope's backend role lets Azure Databricks read)."
  type        = string
}

variable "tags" {
  description = "Tags of the job clusters (custom_tags, fixed by the cluster policy)."
  type        = map(string)
  default     = {}
}
