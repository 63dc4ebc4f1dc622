output "url" {
  description = "Registry URL images are tagged with: <region>-docker.pkg.dev/<project>/<repository>."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "repository_id" {
  description = "Repository id."
  value       = google_artifact_registry_repository.this.repository_id
}
