output "storage_account_id" {
  description = "Flow-log archive storage account ID."
  value       = module.archive.id
}
