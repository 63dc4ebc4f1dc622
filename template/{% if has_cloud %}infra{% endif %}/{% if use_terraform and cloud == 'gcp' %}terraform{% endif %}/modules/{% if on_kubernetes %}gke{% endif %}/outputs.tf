output "cluster_name" {
  description = "Name of the GKE cluster."
  value       = google_container_cluster.this.name
}

output "cluster_location" {
  description = "Region of the GKE cluster."
  value       = google_container_cluster.this.location
}

output "node_service_account_member" {
  description = "IAM member of the node service account (needs to pull images)."
  value       = google_service_account.nodes.member
}
