output "vnet_id" {
  description = "Virtual network ID (the target of VNet flow logs)."
  value       = azurerm_virtual_network.this.id
}

output "vnet_name" {
  description = "Virtual network name."
  value       = azurerm_virtual_network.this.name
}

output "subnet_ids" {
  description = "Subnet ID by subnet key."
  value       = { for key, subnet in azurerm_subnet.this : key => subnet.id }
}

output "private_dns_zone_ids" {
  description = "Private DNS zone ID by zone key."
  value       = { for key, zone in azurerm_private_dns_zone.this : key => zone.id }
}

output "nsg_association_ids" {
  description = "Subnet-NSG association ID by subnet key (what Azure Databricks VNet injection references)."
  value       = { for key, association in azurerm_subnet_network_security_group_association.this : key => association.id }
}
