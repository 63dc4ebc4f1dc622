output "dag_container" {
  description = "<storage account>/<container> the DAGs are synced to (scripts/deploy.sh dags)."
  value       = "${var.storage_account_name}/${azurerm_storage_container.dags.name}"
}

output "identity_client_id" {
  description = "Client id of Airflow's workload identity (the chart's ServiceAccount annotation)."
  value       = azurerm_user_assigned_identity.airflow.client_id
}
