output "service_account_email" {
  description = "Service account the features batches run as (gcloud --service-account)."
  value       = google_service_account.batch.email
}

output "service_account_member" {
  description = "IAM member string of that service account."
  value       = google_service_account.batch.member
}

output "staging_bucket" {
  description = "Staging bucket of the batches (gcloud --staging-bucket)."
  value       = google_storage_bucket.staging.name
}

output "service_account_name" {
  description = "Resource name of that service account (projects/.../serviceAccounts/...), for grants on it."
  value       = google_service_account.batch.name
}
