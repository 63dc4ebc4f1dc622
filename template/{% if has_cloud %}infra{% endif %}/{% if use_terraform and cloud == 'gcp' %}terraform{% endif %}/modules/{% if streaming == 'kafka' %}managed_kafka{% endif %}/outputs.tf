output "bootstrap_servers" {
  description = "Bootstrap address, SASL OAUTHBEARER over TLS (APP_KAFKA_BOOTSTRAP_SERVERS)."
  value       = local.bootstrap_servers
}

output "cluster_id" {
  description = "Id of the Managed Kafka cluster."
  value       = google_managed_kafka_cluster.this.cluster_id
}
