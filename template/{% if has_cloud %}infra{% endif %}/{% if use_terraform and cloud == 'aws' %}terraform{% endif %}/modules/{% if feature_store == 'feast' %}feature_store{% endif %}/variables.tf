variable "name" {
  description = "Prefix of the tables and the key (project-environment)."
  type        = string
}

variable "feature_views" {
  description = "Feast feature views, one online table each."
  type        = list(string)
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (prod)."
  type        = bool
  default     = true
}

variable "reader_role_arns" {
  description = "Workload roles that read online features (service name -> role ARN)."
  type        = map(string)
}

variable "writer_role_arns" {
  description = "Workload roles that materialise features (service name -> role ARN)."
  type        = map(string)
}
