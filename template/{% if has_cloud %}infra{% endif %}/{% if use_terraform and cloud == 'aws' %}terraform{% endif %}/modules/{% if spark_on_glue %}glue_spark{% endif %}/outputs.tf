output "job_name" {
  description = "Glue job of the features step (scripts/deploy/glue_job.py)."
  value       = aws_glue_job.features.name
}

output "job_arn" {
  description = "ARN of that job (the only job whose runs the pipeline DAG may start)."
  value       = aws_glue_job.features.arn
}

output "artifacts_bucket" {
  description = "Bucket of the job's script and wheels (code/<version>/) and temporary files (tmp/)."
  value       = module.artifacts.id
}

output "job_role_arn" {
  description = "Role of the features job runs."
  value       = aws_iam_role.job.arn
}

output "security_configuration" {
  description = "Glue security configuration of the job (S3, CloudWatch logs and bookmarks encrypted)."
  value       = aws_glue_security_configuration.this.name
}

output "pipeline_role_arn" {
  description = "Role of the Kubeflow run's service account (eks.amazonaws.com/role-arn), or null."
  value       = one(aws_iam_role.pipeline[*].arn)
}
