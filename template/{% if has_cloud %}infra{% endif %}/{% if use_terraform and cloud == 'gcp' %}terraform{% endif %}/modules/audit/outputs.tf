output "log_bucket_id" {
  description = "Id of the locked audit log bucket."
  value       = google_logging_project_bucket_config.audit.id
}

output "sink_writer_identity" {
  description = "Identity the audit sink writes as."
  value       = google_logging_project_sink.audit.writer_identity
}
