variable "project_id" {
  description = "Project the batches run in."
  type        = string
}

variable "region" {
  description = "Region of the batches and of the staging bucket."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, prod): part of the service account and bucket names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "environment must be 1-10 lowercase letters or digits."
  }
}

variable "name" {
  description = "Name prefix of the firewall rules (<project>-<environment>)."
  type        = string
}

variable "network_id" {
  description = "VPC of the batches' workers."
  type        = string
}

variable "subnet_cidr" {
  description = "Primary range of the private subnet the batches run in."
  type        = string

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be an IPv4 CIDR block."
  }
}

variable "data_lake_bucket" {
  description = "Name of the data lake bucket."
  type        = string
}

variable "lake_read_prefixes" {
  description = "Lake prefixes the features job reads (the features service's, includes/lake.jinja)."
  type        = list(string)
}

variable "lake_write_prefixes" {
  description = "Lake prefixes the features job writes."
  type        = list(string)

  validation {
    condition     = length(var.lake_write_prefixes) > 0
    error_message = "The features job writes at least its feature table."
  }
}

variable "kms_key_id" {
  description = "Cloud KMS key of the batches (staging bucket, workers' disks); its service agents may use it."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket that receives the staging bucket's access logs (the lake's log bucket)."
  type        = string
}

variable "staging_retention_days" {
  description = "Days a batch's staged files and driver output are kept."
  type        = number
  default     = 30

  validation {
    condition     = var.staging_retention_days >= 1 && var.staging_retention_days <= 365
    error_message = "staging_retention_days must be 1-365."
  }
}

variable "submitter_members" {
  description = "IAM members (user:, group:, serviceAccount:) who may submit the features batch (`make spark-run`)."
  type        = list(string)
  default     = []
}

variable "pipeline_members" {
  description = "IAM principals of the pipeline runs that submit the features batch and wait for it (Kubeflow's features step): a custom role and actAs on the batches' account only."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels of the staging bucket."
  type        = map(string)
  default     = {}
}
