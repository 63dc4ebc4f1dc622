output "cluster_policy_ids" {
  description = "Policy each runner's features runs' job clusters are created under (runtime, access mode, size), by role."
  value       = { for role, policy in databricks_cluster_policy.build_features : role => policy.id }
}

output "job_folders" {
  description = "Workspace folder each runner uploads its runs' wheels and entry script to (its home), by role."
  value       = { for role, runner in databricks_service_principal.runner : role => "/Workspace/Users/${runner.application_id}/build-features" }
}

output "key_secret" {
  description = "scope/key of the pseudonymisation key (APP_PSEUDONYMISATION_KEY_SECRET): a name, never the value."
  value       = "${databricks_secret_scope.keys.name}/${var.key_secret_name}"
}

output "lake_volume_path" {
  description = "The lake as the runs see it (APP_LAKE_URI): the Unity Catalog volume over lake/."
  value       = "/Volumes/${databricks_catalog.this.name}/${databricks_schema.features.name}/${databricks_volume.lake.name}"
}
