variable "name" {
  type        = string
  description = "Name prefix (<project>-<environment>): cluster, key alias, log group."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the brokers."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets, one per zone; brokers are spread over them."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "MSK needs subnets in at least two zones."
  }
}

variable "client_cidr" {
  type        = string
  description = "CIDR allowed to reach the brokers' SASL/IAM TLS port 9098 (the VPC)."
}

variable "kafka_version" {
  type        = string
  description = "Apache Kafka version of the brokers (3.6.0 or later: topic management through the MSK API)."
  default     = "3.9.x"
}

variable "broker_instance_type" {
  type        = string
  description = "Broker instance type (kafka.t3.small for dev, kafka.m7g.large and up for production)."
}

variable "brokers_per_zone" {
  type        = number
  description = "Brokers in each subnet's zone."
  default     = 1

  validation {
    condition     = var.brokers_per_zone >= 1
    error_message = "brokers_per_zone must be at least 1."
  }
}

variable "broker_volume_gb" {
  type        = number
  description = "EBS storage of each broker, GiB."
  default     = 100
}

variable "topics" {
  type = map(object({
    partitions     = number
    retention_days = number
  }))
  description = "Topic name -> partitions and retention (days)."

  validation {
    condition     = alltrue([for spec in values(var.topics) : spec.partitions >= 1 && spec.retention_days >= 1])
    error_message = "Every topic needs at least one partition and one day of retention."
  }
}

variable "events_topic" {
  type        = string
  description = "Topic the consumer reads (APP_KAFKA_TOPIC)."
}

variable "dead_letter_topic" {
  type        = string
  description = "Topic the consumer writes rejected events to (APP_KAFKA_DLQ_TOPIC)."
}

variable "consumer_group" {
  type        = string
  description = "Consumer group of the events service (APP_KAFKA_GROUP_ID)."
}

variable "consumer_role_name" {
  type        = string
  description = "IAM role (workload identity) of the events service."
}

variable "logs_kms_key_arn" {
  type        = string
  description = "KMS key of the CloudWatch log groups."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the broker logs."
}
