output "network_id" {
  description = "Self-link id of the VPC."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "subnet_id" {
  description = "Id of the private subnet."
  value       = google_compute_subnetwork.private.id
}

output "subnet_name" {
  description = "Name of the private subnet."
  value       = google_compute_subnetwork.private.name
}
