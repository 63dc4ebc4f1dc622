output "environment_name" {
  description = "Name of the MWAA environment."
  value       = aws_mwaa_environment.this.name
}

output "dag_bucket" {
  description = "Bucket `scripts/deploy.sh dags` syncs orchestration/dags/ to (prefix dags/)."
  value       = module.dag_bucket.id
}

output "execution_role_arn" {
  description = "Role the environment's scheduler and workers run as."
  value       = aws_iam_role.execution.arn
}

output "webserver_url" {
  description = "Private URL of the Airflow UI (reachable from inside the VPC only)."
  value       = aws_mwaa_environment.this.webserver_url
}
