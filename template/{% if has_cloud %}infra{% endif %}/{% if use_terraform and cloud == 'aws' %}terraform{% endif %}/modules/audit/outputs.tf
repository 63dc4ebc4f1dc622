output "logs_kms_key_arn" {
  description = "CMK for CloudWatch log groups and SNS topics of every module."
  value       = module.logs_key.arn
}

output "access_log_bucket" {
  description = "Bucket receiving S3 server access logs (prefix s3/) and ALB access logs (prefix alb/)."
  value       = aws_s3_bucket.access_logs.id
}

output "alarm_topic_arn" {
  description = "SNS topic for operational and security alarms."
  value       = aws_sns_topic.alarms.arn
}

output "trail_arn" {
  description = "ARN of the multi-region CloudTrail."
  value       = aws_cloudtrail.this.arn
}
