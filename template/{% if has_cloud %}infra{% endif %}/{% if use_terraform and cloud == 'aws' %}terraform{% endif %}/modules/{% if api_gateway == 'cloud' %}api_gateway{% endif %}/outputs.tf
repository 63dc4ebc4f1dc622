output "url" {
  description = "Base URL clients call: the custom domain, or the stage's execute-api URL."
  value       = var.domain_name == null ? aws_api_gateway_stage.this.invoke_url : "https://${var.domain_name}"
}

output "stage_arn" {
  description = "ARN of the stage, what the WAF web ACL protects."
  value       = aws_api_gateway_stage.this.arn
}

output "target_group_arn" {
  description = "Target group of the serving API behind the VPC link (ECS service load_balancer, or an EKS TargetGroupBinding)."
  value       = aws_lb_target_group.serving.arn
}

output "nlb_security_group_id" {
  description = "Security group of the internal NLB; serving targets accept their API port from it."
  value       = aws_security_group.nlb.id
}

output "api_key_ids" {
  description = "Client -> API key id (aws apigateway get-api-key --include-value --api-key <id> prints the key to hand over)."
  value       = { for client, key in aws_api_gateway_api_key.client : client => key.id }
}

output "api_key_hashes" {
  description = "Comma-separated sha256 digests of the client keys: APP_API_KEY_HASHES of the serving API."
  # A digest of a 40-character random key reveals nothing usable about it.
  value = nonsensitive(join(",", [for client in sort(keys(var.clients)) : sha256(aws_api_gateway_api_key.client[client].value)]))
}

output "domain_target" {
  description = "Regional domain name to point the custom domain's DNS (CNAME/alias) at; null without a domain."
  value       = var.domain_name == null ? null : aws_api_gateway_domain_name.this[0].regional_domain_name
}
