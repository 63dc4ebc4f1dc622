variable "name" {
  type        = string
  description = "Name prefix of the environment's resources (<project>-<environment>)."
}

variable "airflow_version" {
  type        = string
  description = "Apache Airflow version of the MWAA environment (an Airflow 3 release MWAA offers)."

  validation {
    condition     = can(regex("^3\\.[0-9]+\\.[0-9]+$", var.airflow_version))
    error_message = "airflow_version must be an Airflow 3 release, e.g. 3.3.1."
  }
}

variable "environment_class" {
  type        = string
  description = "MWAA environment class (mw1.micro ... mw1.2xlarge)."
  default     = "mw1.small"
}

variable "max_workers" {
  type        = number
  description = "Most workers MWAA scales to."
  default     = 2
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of the VPC; MWAA uses the first two (two availability zones)."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "MWAA needs two private subnets in different availability zones."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the environment."
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives the S3 server access logs of the DAG bucket."
}

variable "force_destroy" {
  type        = bool
  description = "Allow destroying the DAG bucket with objects in it (dev only)."
  default     = false
}

variable "pipeline_environment" {
  type        = map(string)
  description = "Environment of the DAGs (PIPELINE_* and APP_* variables), exported by the startup script."
}

variable "eks_cluster_name" {
  type        = string
  description = "EKS cluster whose namespace the DAG's pods run in (null on ECS)."
  default     = null
}

variable "eks_namespace" {
  type        = string
  description = "Kubernetes namespace of the services' workloads."
  default     = null
}

variable "ecs_cluster_arn" {
  type        = string
  description = "ECS cluster the DAG's tasks run in (null on EKS)."
  default     = null
}

variable "ecs_task_family_arns" {
  type        = list(string)
  description = "Task definition families the DAG may run (no revision)."
  default     = []
}

variable "ecs_pass_role_arns" {
  type        = list(string)
  description = "Task and execution roles the DAG's RunTask calls pass to ECS."
  default     = []
}

variable "glue_job_arn" {
  type        = string
  description = "Glue job whose runs the features task starts, follows and stops (processing=spark; null otherwise)."
  default     = null
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of the execution role."
}
