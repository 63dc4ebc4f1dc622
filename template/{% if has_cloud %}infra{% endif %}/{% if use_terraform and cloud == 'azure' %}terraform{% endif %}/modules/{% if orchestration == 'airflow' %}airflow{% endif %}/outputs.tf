output "dag_container" {
  description = "<storage account>/<container> the DAGs are synced to (scripts/deploy.sh dags)."
  value       = "${var.storage_account_name}/${azurerm_storage_container.dags.name}"
}

output "identity_client_id" {
  description = "Client id of Airflow's workload identity (the chart's ServiceAccount annotation)."
  value       = azurerm_user_assigned_identity.airflow.client_id
}

output "database_host" {
  description = "FQDN of Airflow's metadata DB (private DNS only); the chart's data.metadataConnection.host."
  value       = azurerm_postgresql_flexible_server.metadata.fqdn
}

output "database_user" {
  description = "Entra principal Airflow signs in to the metadata DB as (its workload identity's name)."
  value       = azurerm_user_assigned_identity.airflow.name
}

output "identity_tenant_id" {
  description = "Tenant of Airflow's workload identity (the WASB log connection's workload_identity_tenant_id)."
  value       = azurerm_user_assigned_identity.airflow.tenant_id
}

output "log_container_url" {
  description = "Blob URL of the container Airflow writes its task logs to."
  value       = "https://${var.storage_account_name}.blob.core.windows.net/${azurerm_storage_container.logs.name}"
}
