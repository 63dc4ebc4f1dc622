output "registry_url" {
  description = "Registry host plus namespace; images are <registry_url>/<image_prefix>-<service>:<tag>."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${data.aws_region.current.region}.amazonaws.com/${var.namespace}"
}

output "repository_arns" {
  description = "Repository ARN per service."
  value       = { for service, repo in aws_ecr_repository.this : service => repo.arn }
}

output "repository_urls" {
  description = "Repository URL per service."
  value       = { for service, repo in aws_ecr_repository.this : service => repo.repository_url }
}

output "kms_key_arn" {
  description = "CMK encrypting the images; pullers need kms:Decrypt."
  value       = module.key.arn
}
