output "cluster_policy_id" {
  description = "Policy every features run's job cluster is created under (runtime, access mode, size)."
  value       = databricks_cluster_policy.build_features.id
}

output "job_folder" {
  description = "Workspace folder `make spark-run` uploads the run's wheels and entry script to (the runner's home)."
  value       = "/Workspace/Users/${databricks_service_principal.runner.application_id}/build-features"
}

output "key_secret" {
  description = "scope/key of the pseudonymisation key (APP_PSEUDONYMISATION_KEY_SECRET): a name, never the value."
  value       = "${databricks_secret_scope.keys.name}/${var.key_secret_name}"
}

output "lake_volume_path" {
  description = "The lake as the runs see it (APP_LAKE_URI): the Unity Catalog volume over lake/."
  value       = "/Volumes/${databricks_catalog.this.name}/${databricks_schema.features.name}/${databricks_volume.lake.name}"
}
