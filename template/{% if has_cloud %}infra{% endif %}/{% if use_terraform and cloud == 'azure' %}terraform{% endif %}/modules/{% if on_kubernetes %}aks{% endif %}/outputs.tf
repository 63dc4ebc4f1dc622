output "id" {
  description = "Cluster resource ID (scope of the CI deploy role assignments)."
  value       = azurerm_kubernetes_cluster.this.id
}

output "name" {
  description = "Cluster name, as `az aks get-credentials --name` expects it."
  value       = azurerm_kubernetes_cluster.this.name
}

output "oidc_issuer_url" {
  description = "OIDC issuer that Kubernetes service-account tokens are federated from."
  value       = azurerm_kubernetes_cluster.this.oidc_issuer_url
}
