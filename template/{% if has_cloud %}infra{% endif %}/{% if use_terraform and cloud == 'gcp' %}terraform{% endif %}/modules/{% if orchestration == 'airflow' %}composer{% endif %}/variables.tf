variable "project_id" {
  description = "Project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the environment (where the lake and the keys are)."
  type        = string
}

variable "name" {
  description = "Name prefix of the environment's resources."
  type        = string
}

variable "image_version" {
  description = "Cloud Composer 3 image (composer-3-airflow-<Airflow 3 release>[-build...]); `gcloud composer environments image-versions list` shows the offered ones."
  type        = string

  validation {
    condition     = can(regex("^composer-3-airflow-3[.]", var.image_version))
    error_message = "image_version must be a Cloud Composer 3 image of Airflow 3 (composer-3-airflow-3...)."
  }
}

variable "environment_size" {
  description = "ENVIRONMENT_SIZE_SMALL, _MEDIUM or _LARGE."
  type        = string
  default     = "ENVIRONMENT_SIZE_SMALL"
}

variable "network_id" {
  description = "VPC the environment's workers attach to."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet of the workers."
  type        = string
}

variable "kms_key_id" {
  description = "Customer-managed key of the environment's data (CMEK)."
  type        = string
}

variable "pipeline_environment" {
  description = "Environment variables of the DAGs (PIPELINE_* and APP_*)."
  type        = map(string)
}

variable "cloud_run_jobs" {
  description = "Cloud Run jobs the DAGs execute (empty on GKE)."
  type        = list(string)
  default     = []
}

variable "gke" {
  description = "The DAGs start pods on the project's GKE cluster (roles/container.developer)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels of the environment."
  type        = map(string)
  default     = {}
}

variable "spark_batches" {
  description = "The features task submits Serverless for Apache Spark batches (processing=spark) and waits for them."
  type        = bool
  default     = false
}

variable "spark_service_account" {
  description = "Resource name of the batches' service account, which the environment acts as when it submits one (spark_batches)."
  type        = string
  default     = null
}
