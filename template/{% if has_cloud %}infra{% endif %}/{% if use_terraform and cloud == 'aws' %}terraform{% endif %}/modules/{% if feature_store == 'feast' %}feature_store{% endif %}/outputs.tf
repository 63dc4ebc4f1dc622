output "table_names" {
  description = "Online tables by feature view."
  value       = { for view, table in aws_dynamodb_table.online : view => table.name }
}

output "kms_key_arn" {
  description = "Key encrypting the online tables."
  value       = module.kms.arn
}
