output "bucket" {
  description = "Name of the data lake bucket."
  value       = module.bucket.id
}

output "bucket_arn" {
  description = "ARN of the data lake bucket."
  value       = module.bucket.arn
}

output "kms_key_arn" {
  description = "CMK encrypting the data lake; readers need kms:Decrypt, writers kms:GenerateDataKey."
  value       = module.key.arn
}
