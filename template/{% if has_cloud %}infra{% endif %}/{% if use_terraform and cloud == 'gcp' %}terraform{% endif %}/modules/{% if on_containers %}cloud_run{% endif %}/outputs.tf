output "service_names" {
  description = "Service => Cloud Run service, worker pool or job name."
  value = merge(
    { serving = google_cloud_run_v2_service.serving.name },
    { for name, service in google_cloud_run_v2_service.added : name => service.name },
    { for name, pool in google_cloud_run_v2_worker_pool.added : name => pool.name },
    { for name, job in google_cloud_run_v2_job.batch : name => job.name },
    { for name, job in google_cloud_run_v2_job.scheduled : name => job.name },
  )
}

output "serving_uri" {
  description = "Internal URI of the serving service."
  value       = google_cloud_run_v2_service.serving.uri
}

output "load_balancer_ip" {
  description = "IP address to point serving_domain at; null without a load balancer."
  value       = try(google_compute_global_address.serving["serving"].address, null)
}
