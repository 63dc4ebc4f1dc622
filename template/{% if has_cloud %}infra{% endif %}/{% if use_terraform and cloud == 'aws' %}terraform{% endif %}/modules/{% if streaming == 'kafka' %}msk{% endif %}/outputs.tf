output "bootstrap_servers" {
  description = "Bootstrap brokers for SASL/IAM over TLS (APP_KAFKA_BOOTSTRAP_SERVERS)."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_iam
}

output "cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = aws_msk_cluster.this.arn
}

output "producer_policy_json" {
  description = "IAM policy (JSON) for the role of a system that produces customer events."
  value       = data.aws_iam_policy_document.producer.json
}

output "security_group_id" {
  description = "Security group of the brokers."
  value       = aws_security_group.brokers.id
}
