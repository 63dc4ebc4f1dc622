output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets (one per zone) for every workload."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Public subnets (one per zone) for NAT gateways and internet-facing load balancers only."
  value       = aws_subnet.public[*].id
}

output "endpoints_security_group_id" {
  description = "Security group of the interface VPC endpoints."
  value       = aws_security_group.endpoints.id
}
