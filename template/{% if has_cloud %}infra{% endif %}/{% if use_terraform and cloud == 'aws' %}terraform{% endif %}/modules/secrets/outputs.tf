output "secret_arns" {
  description = "Secret ARN per secret id."
  value       = { for id, secret in aws_secretsmanager_secret.this : id => secret.arn }
}

output "kms_key_arn" {
  description = "CMK encrypting the secrets; readers need kms:Decrypt."
  value       = module.key.arn
}
