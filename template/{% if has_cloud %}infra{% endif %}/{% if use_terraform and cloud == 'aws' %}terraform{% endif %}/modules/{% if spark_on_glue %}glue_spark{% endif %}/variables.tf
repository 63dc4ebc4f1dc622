variable "name" {
  type        = string
  description = "Name prefix of the job's resources (<project>-<environment>)."
}

variable "glue_version" {
  type        = string
  description = "AWS Glue version of the job; 5.x runs Spark 3.5 on Python 3.11, the line the project pins."

  validation {
    condition     = can(regex("^5\\.[0-9]+$", var.glue_version))
    error_message = "glue_version must be a Glue 5 release (Spark 3.5, Python 3.11), e.g. 5.0."
  }
}

variable "worker_type" {
  type        = string
  description = "Glue worker type of the job's driver and executors."
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.worker_type)
    error_message = "worker_type must be one of G.1X, G.2X, G.4X, G.8X."
  }
}

variable "number_of_workers" {
  type        = number
  description = "Workers of one run (the driver included): the most a run can hold at once."
  default     = 4

  validation {
    condition     = var.number_of_workers >= 2 && var.number_of_workers <= 32
    error_message = "number_of_workers must be 2-32: a bound on what one run may cost."
  }
}

variable "timeout_minutes" {
  type        = number
  description = "Minutes after which Glue stops a run."
  default     = 60

  validation {
    condition     = var.timeout_minutes >= 5 && var.timeout_minutes <= 480
    error_message = "timeout_minutes must be 5-480."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the job's workers."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets; the job's NETWORK connection uses the first."

  validation {
    condition     = length(var.private_subnet_ids) > 0
    error_message = "The job needs a private subnet."
  }
}

variable "lake_uri" {
  type        = string
  description = "Root of the data lake (APP_LAKE_URI)."
}

variable "reports_uri" {
  type        = string
  description = "Root of the reports (APP_REPORTS_URI)."
}

variable "data_lake_bucket_arn" {
  type        = string
  description = "ARN of the data lake bucket."
}

variable "data_lake_kms_key_arn" {
  type        = string
  description = "CMK of the data lake; also encrypts the job's artifacts, what Glue writes to S3 and job bookmarks."
}

variable "lake_read_prefixes" {
  type        = list(string)
  description = "Lake prefixes the features job reads (the features service's, includes/lake.jinja)."
}

variable "lake_write_prefixes" {
  type        = list(string)
  description = "Lake prefixes the features job writes."

  validation {
    condition     = length(var.lake_write_prefixes) > 0
    error_message = "The features job writes at least its feature table."
  }
}

variable "pseudonymisation_key_secret_arn" {
  type        = string
  description = "Secrets Manager secret of the pseudonymisation key (the job reads it itself)."
}

variable "secrets_kms_key_arn" {
  type        = string
  description = "CMK of the project's secrets."
}

variable "logs_kms_key_arn" {
  type        = string
  description = "CMK of the project's CloudWatch logs."
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives the artifacts bucket's S3 server access logs."
}

variable "artifact_retention_days" {
  type        = number
  description = "Days the uploaded code versions (script and wheels) are kept."
  default     = 90
}

variable "force_destroy" {
  type        = bool
  description = "Allow `terraform destroy` to delete a non-empty artifacts bucket."
  default     = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of the job role."
}

variable "pipeline_service_account" {
  type        = string
  description = "namespace:name of the Kubernetes service account whose runs start the job (orchestration=kubeflow: the Kubeflow run's); null: none."
  default     = null
}

variable "oidc_provider_arn" {
  type        = string
  description = "The EKS cluster's IAM OIDC provider (IRSA of pipeline_service_account)."
  default     = null
}

variable "oidc_issuer" {
  type        = string
  description = "That provider's issuer, without https:// (the trust's condition keys)."
  default     = null
}
