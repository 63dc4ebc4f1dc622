output "environment_name" {
  description = "Name of the Cloud Composer environment."
  value       = google_composer_environment.this.name
}

output "dag_bucket" {
  description = "Bucket whose dags/ folder the environment reads (scripts/deploy.sh dags uploads there)."
  value       = trimsuffix(trimprefix(google_composer_environment.this.config[0].dag_gcs_prefix, "gs://"), "/dags")
}

output "service_account" {
  description = "Service account the scheduler and workers run as."
  value       = google_service_account.composer.email
}
