output "url" {
  description = "Public HTTPS URL of the API: Front Door's endpoint and the API's path."
  value       = "https://${azurerm_cdn_frontdoor_endpoint.this.host_name}/${var.path}"
}

output "resource_guid" {
  description = "The profile's GUID, which Front Door sends as X-Azure-FDID and API Management requires."
  value       = azurerm_cdn_frontdoor_profile.this.resource_guid
}

output "id" {
  description = "Front Door profile ID."
  value       = azurerm_cdn_frontdoor_profile.this.id
}

output "firewall_policy_id" {
  description = "WAF policy ID (exclusions and overrides for false positives go there)."
  value       = azurerm_cdn_frontdoor_firewall_policy.this.id
}
