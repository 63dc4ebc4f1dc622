variable "project_id" {
  description = "Project that owns the Cloud Run workloads."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run workloads."
  type        = string
}

variable "name" {
  description = "Name prefix of every workload (<name>-serving, <name>-<job>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,32}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 label of at most 34 characters."
  }
}

variable "service_accounts" {
  description = "Service => email of the service account it runs as (must contain serving and every job)."
  type        = map(string)

  validation {
    condition     = contains(keys(var.service_accounts), "serving")
    error_message = "service_accounts must contain serving."
  }
}

variable "network_id" {
  description = "VPC for Direct VPC egress."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet for Direct VPC egress."
  type        = string
}

variable "kms_key_id" {
  description = "Cloud KMS key that encrypts the container images Cloud Run keeps (the Cloud Run service agent must be allowed to use it)."
  type        = string
}

variable "data_lake_bucket" {
  description = "Data lake bucket mounted at /app/data (APP_DATA_DIR); read-only for serving."
  type        = string
}

variable "api_key_secret_id" {
  description = "Secret Manager secret holding the serving API key (exposed as APP_API_KEY)."
  type        = string
}

variable "pseudonymisation_key_secret_id" {
  description = "Secret Manager secret holding the pseudonymisation key (APP_PSEUDONYMISATION_KEY of the features job only)."
  type        = string
}

variable "environment_variables" {
  description = "Extra non-secret APP_* variables of every workload."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.environment_variables) : startswith(name, "APP_") && name != "APP_API_KEY"])
    error_message = "environment_variables must be APP_* names; APP_API_KEY comes from Secret Manager only."
  }
}

variable "bootstrap_image" {
  description = "Image the serving service is created with before the first `make deploy` (listens on $PORT)."
  type        = string
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
}

variable "bootstrap_job_image" {
  description = "Image the jobs are created with before the first `make deploy`."
  type        = string
  default     = "us-docker.pkg.dev/cloudrun/container/job"
}

variable "serving" {
  description = "Sizing of the serving service."
  type = object({
    cpu           = string
    memory        = string
    min_instances = number
    max_instances = number
    concurrency   = number
  })

  validation {
    condition     = var.serving.min_instances >= 0 && var.serving.max_instances >= 1 && var.serving.max_instances >= var.serving.min_instances
    error_message = "serving needs 0 <= min_instances <= max_instances and max_instances >= 1."
  }

  validation {
    condition     = var.serving.concurrency >= 1 && var.serving.concurrency <= 1000
    error_message = "serving.concurrency must be between 1 and 1000."
  }
}

variable "jobs" {
  description = "Batch job => sizing, timeout (e.g. '3600s') and retries."
  type = map(object({
    cpu         = string
    memory      = string
    timeout     = string
    max_retries = number
  }))

  validation {
    condition     = alltrue([for job in values(var.jobs) : can(regex("^[0-9]+s$", job.timeout)) && job.max_retries >= 0 && job.max_retries <= 10])
    error_message = "every job needs a timeout like '3600s' and 0-10 retries."
  }
}

variable "added_services" {
  description = "Services added with `aiarch add service` => kind (api: internal service, consumer: worker pool, batch-job: scheduled job), size, instances, schedule (cron, UTC), timeout and retries."
  type = map(object({
    kind          = string
    cpu           = optional(string, "1")
    memory        = optional(string, "512Mi")
    max_instances = optional(number, 1)
    schedule      = optional(string, "0 3 * * *")
    timeout       = optional(string, "3600s")
    max_retries   = optional(number, 1)
  }))
  default = {}

  validation {
    condition     = alltrue([for spec in values(var.added_services) : contains(["api", "consumer", "batch-job"], spec.kind) && spec.max_instances >= 1 && can(regex("^[0-9]+s$", spec.timeout)) && spec.max_retries >= 0 && spec.max_retries <= 10])
    error_message = "added_services needs kind api, consumer or batch-job, max_instances >= 1, a timeout like '3600s' and 0-10 retries."
  }
}

variable "scheduled_commands" {
  description = "Job => another entry point (command) of a service's image, run as that service's account by Cloud Scheduler (cron, UTC), with its size, timeout and retries."
  type = map(object({
    service     = string
    command     = list(string)
    schedule    = string
    cpu         = optional(string, "1")
    memory      = optional(string, "1Gi")
    timeout     = optional(string, "3600s")
    max_retries = optional(number, 1)
  }))
  default = {}

  validation {
    condition     = alltrue([for job in values(var.scheduled_commands) : length(job.command) > 0 && can(regex("^[0-9]+s$", job.timeout)) && job.max_retries >= 0 && job.max_retries <= 10])
    error_message = "every scheduled command needs a command, a timeout like '3600s' and 0-10 retries."
  }
}

variable "serving_secret_env" {
  description = "Further secrets of serving: APP_* variable => Secret Manager secret (serving's account must be an accessor)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.serving_secret_env) : startswith(name, "APP_") && name != "APP_API_KEY"])
    error_message = "serving_secret_env must be APP_* names other than APP_API_KEY (api_key_secret_id)."
  }
}

variable "scheduler_account_id" {
  description = "Account ID of the service account Cloud Scheduler starts the scheduled jobs (added batch jobs, scheduled commands) as."
  type        = string
  default     = "run-scheduler"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.scheduler_account_id))
    error_message = "scheduler_account_id must be 6-30 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "serving_domain" {
  description = "Domain of the external HTTPS load balancer in front of serving; empty keeps serving internal only."
  type        = string
  default     = ""

  validation {
    condition     = var.serving_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.serving_domain))
    error_message = "serving_domain must be empty or a lowercase fully qualified domain name."
  }
}

variable "invoker_members" {
  description = "IAM members allowed to invoke serving (the API gateway's identity); non-empty opens ingress to them alone, so serving_domain must be empty."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.invoker_members) == 0 || var.serving_domain == ""
    error_message = "invoker_members (the API gateway) and serving_domain (the load balancer) are exclusive: one public entry only."
  }

  validation {
    condition     = alltrue([for member in var.invoker_members : startswith(member, "serviceAccount:")])
    error_message = "invoker_members must be service accounts (serviceAccount:<email>); never allUsers or allAuthenticatedUsers."
  }
}

variable "serving_rate_limit_per_minute" {
  description = "Requests per minute one client IP may send through the load balancer."
  type        = number
  default     = 600

  validation {
    condition     = var.serving_rate_limit_per_minute >= 1
    error_message = "serving_rate_limit_per_minute must be at least 1."
  }
}

variable "rate_limit_key_header" {
  description = "Header whose value keys the load balancer's rate limit (the API key header, for a budget per client); empty keys it on the client IP."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z0-9-]{1,64})?$", var.rate_limit_key_header))
    error_message = "rate_limit_key_header must be empty or a lowercase header name."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy services and jobs (terraform destroy fails until this is false)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels applied to every workload."
  type        = map(string)
  default     = {}
}
