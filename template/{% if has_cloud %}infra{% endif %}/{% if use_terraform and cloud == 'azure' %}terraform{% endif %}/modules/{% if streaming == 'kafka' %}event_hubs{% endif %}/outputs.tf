output "bootstrap_servers" {
  description = "Kafka endpoint of the namespace, SASL OAUTHBEARER over TLS (APP_KAFKA_BOOTSTRAP_SERVERS)."
  value       = "${azurerm_eventhub_namespace.this.name}.servicebus.windows.net:9093"
}

output "namespace_id" {
  description = "ARM ID of the Event Hubs namespace."
  value       = azurerm_eventhub_namespace.this.id
}
