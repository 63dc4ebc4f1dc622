output "service_account_emails" {
  description = "Service => runtime service account email."
  value       = { for name, account in google_service_account.workloads : name => account.email }
}

output "service_account_members" {
  description = "Service => IAM member string of the runtime service account."
  value       = { for name, account in google_service_account.workloads : name => account.member }
}

output "ci_service_account_email" {
  description = "Email of the service account CI impersonates."
  value       = google_service_account.ci.email
}

output "ci_service_account_member" {
  description = "IAM member string of the CI service account."
  value       = google_service_account.ci.member
}

output "ci_plan_service_account_email" {
  description = "Email of the read-only service account plans of pull/merge requests impersonate (null when none)."
  value       = one(google_service_account.ci_plan[*].email)
}

output "ci_workload_identity_provider" {
  description = "Full resource name of the workload identity provider CI exchanges its OIDC token with."
  value       = google_iam_workload_identity_pool_provider.ci.name
}
