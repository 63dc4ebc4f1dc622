output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_names" {
  description = "Service -> what `make deploy` rolls out: the ECS service for serving and added apis or consumers, the task definition family for scheduled jobs."
  value = merge(
    { serving = aws_ecs_service.serving.name },
    { for service, ecs in aws_ecs_service.added : service => ecs.name },
    { for service in keys(local.batch_jobs) : service => aws_ecs_task_definition.this[service].family },
  )
}

output "serving_service_arn" {
  description = "ARN of the serving ECS service."
  value       = aws_ecs_service.serving.id
}

output "task_family_arns" {
  description = "Task definition family ARN per service (no revision)."
  value       = local.family_arns
}

output "serving_url" {
  description = "Base URL of the serving API: the public ALB, or the private service discovery name."
  value       = var.public_serving ? "https://${aws_lb.serving[0].dns_name}" : "http://serving.${aws_service_discovery_private_dns_namespace.this.name}:${local.serving_port}"
}

output "serving_security_group_id" {
  description = "Security group of the serving tasks."
  value       = aws_security_group.serving.id
}

output "tasks_security_group_id" {
  description = "Security group every task carries (its egress); an orchestrator's RunTask calls attach it too."
  value       = aws_security_group.tasks.id
}
