variable "project_id" {
  description = "Project of the cluster."
  type        = string
}

variable "region" {
  description = "Region of the cluster (the subnet's region)."
  type        = string
}

variable "name" {
  description = "Cluster id (<name>-<environment>)."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet the Private Service Connect endpoints of the brokers are created in."
  type        = string
}

variable "kms_key_id" {
  description = "Cloud KMS key (same region) that encrypts the brokers' storage; the Managed Kafka service agent must be its encrypter/decrypter."
  type        = string
}

variable "vcpu_count" {
  description = "vCPUs of the cluster (3 is the minimum)."
  type        = string
  default     = "3"
}

variable "memory_bytes" {
  description = "Memory of the cluster in bytes (1-8 GiB per vCPU)."
  type        = string
  default     = "3221225472"
}

variable "topics" {
  description = "Topic name -> partitions and retention (days)."
  type = map(object({
    partitions     = number
    retention_days = number
  }))

  validation {
    condition     = alltrue([for spec in values(var.topics) : spec.partitions >= 1 && spec.retention_days >= 1])
    error_message = "Every topic needs at least one partition and one day of retention."
  }
}

variable "events_topic" {
  description = "Topic the consumer reads (APP_KAFKA_TOPIC)."
  type        = string
}

variable "dead_letter_topic" {
  description = "Topic the consumer writes rejected events to (APP_KAFKA_DLQ_TOPIC)."
  type        = string
}

variable "consumer_group" {
  description = "Consumer group of the events service (APP_KAFKA_GROUP_ID)."
  type        = string
}

variable "consumer_service_account" {
  description = "E-mail of the events service's service account."
  type        = string
}

variable "producer_service_accounts" {
  description = "E-mails of the service accounts that may write customer events."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels of the cluster."
  type        = map(string)
  default     = {}
}
