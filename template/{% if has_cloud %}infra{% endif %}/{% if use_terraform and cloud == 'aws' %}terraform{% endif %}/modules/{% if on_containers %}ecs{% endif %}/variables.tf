variable "name" {
  type        = string
  description = "Name prefix of every resource, <project>-<environment>."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or '-'."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the tasks and the load balancer."
}

variable "vpc_cidr_block" {
  type        = string
  description = "CIDR allowed to call the serving API when it is not public."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets for every task (no task ever gets a public IP)."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids needs subnets in at least two availability zones."
  }
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets for the internet-facing load balancer (used only when public_serving)."
  default     = []
}

variable "repository_urls" {
  type        = map(string)
  description = "ECR repository URL per service."
}

variable "image_tag" {
  type        = string
  description = "Image tag of the task definitions Terraform registers; rollouts register newer revisions with `make deploy`."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "task_role_arns" {
  type        = map(string)
  description = "Task role per service (the workload identity: data lake prefixes, secrets)."
}

variable "execution_role_arn" {
  type        = string
  description = "Role ECS uses to pull images, write logs and inject secrets; never the workload's own identity."
}

variable "secret_env" {
  type        = map(map(string))
  description = "Service -> environment variable -> Secrets Manager ARN injected at task start."
  default     = {}
}

variable "environment" {
  type        = map(string)
  description = "Non-secret APP_* environment variables of every container."
  default     = {}
}

variable "serving" {
  type = object({
    cpu           = number
    memory        = number
    desired_count = number
  })
  description = "Size and replica count of the serving API."
  default     = { cpu = 512, memory = 1024, desired_count = 2 }

  validation {
    condition     = var.serving.desired_count >= 1 && contains([256, 512, 1024, 2048, 4096], var.serving.cpu)
    error_message = "serving needs desired_count >= 1 and a Fargate cpu value (256-4096)."
  }
}

variable "batch_jobs" {
  type = map(object({
    cpu      = number
    memory   = number
    schedule = string
  }))
  description = "Scheduled batch service -> Fargate size and EventBridge Scheduler expression (UTC)."

  validation {
    condition     = alltrue([for job in values(var.batch_jobs) : can(regex("^(cron|rate)\\(.+\\)$", job.schedule))])
    error_message = "schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

variable "scheduled_commands" {
  type = map(object({
    service  = string
    command  = list(string)
    cpu      = number
    memory   = number
    schedule = string
  }))
  description = "Scheduled tasks that run another command of a service's image, as that service's task role (e.g. the feature store's materialise job of features)."
  default     = {}

  validation {
    condition     = alltrue([for job in values(var.scheduled_commands) : can(regex("^(cron|rate)\\(.+\\)$", job.schedule))])
    error_message = "schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

variable "added_services" {
  type = map(object({
    kind          = string
    cpu           = optional(number, 256)
    memory        = optional(number, 512)
    desired_count = optional(number, 1)
    schedule      = optional(string, "cron(0 3 * * ? *)")
  }))
  description = "Services added with `aiarch add service` -> kind (api, consumer: an ECS service; batch-job: a scheduled task), Fargate size, replicas and schedule (UTC)."
  default     = {}

  validation {
    condition     = alltrue([for spec in values(var.added_services) : contains(["api", "consumer", "batch-job"], spec.kind) && spec.desired_count >= 1 && can(regex("^(cron|rate)\\(.+\\)$", spec.schedule))])
    error_message = "added_services needs kind api, consumer or batch-job, desired_count >= 1 and an EventBridge cron(...) or rate(...) schedule."
  }
}

variable "public_serving" {
  type        = bool
  description = "Expose serving on the internet through an HTTPS-only ALB with AWS WAF; otherwise it is reachable inside the VPC only."
  default     = false
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the public HTTPS listener (required when public_serving)."
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN or null."
  }

  validation {
    condition     = !var.public_serving || var.certificate_arn != null
    error_message = "public_serving needs certificate_arn: the public listener is HTTPS only."
  }
}

variable "gateway_target_group_arn" {
  type        = string
  description = "Target group of the API gateway's internal NLB the serving tasks register in; null without a gateway."
  default     = null
}

variable "ingress_cidrs" {
  type        = list(string)
  description = "Client CIDRs allowed to reach the public ALB."
  default     = ["0.0.0.0/0"]
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket for ALB access logs (prefix alb/)."
}

variable "kms_key_arn" {
  type        = string
  description = "CMK for log groups, ECS Exec sessions and schedules."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the task log groups."
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic notified when the serving API is unhealthy."
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (CI may only create bounded roles)."
}
