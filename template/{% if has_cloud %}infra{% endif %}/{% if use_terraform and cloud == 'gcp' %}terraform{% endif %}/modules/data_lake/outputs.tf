output "bucket_name" {
  description = "Name of the data lake bucket."
  value       = google_storage_bucket.lake.name
}

output "access_log_bucket_name" {
  description = "Name of the bucket that receives the lake's access logs."
  value       = google_storage_bucket.access_logs.name
}
