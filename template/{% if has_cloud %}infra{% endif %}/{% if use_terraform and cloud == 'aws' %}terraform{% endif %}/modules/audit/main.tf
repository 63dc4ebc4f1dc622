# Audit trail and the logging backbone every other module writes to: a CMK for all log groups,
# the S3 access log bucket, a multi-region CloudTrail and CIS-style security alarms.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_elb_service_account" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  trail_name = "${var.name}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
}

module "logs_key" {
  source = "../kms_key"

  alias       = "${var.name}-logs"
  description = "${var.name}: CloudWatch Logs, CloudTrail and alarm notifications"
  service_statements = [
    {
      sid     = "CloudWatchLogs"
      service = "logs.${local.region}.amazonaws.com"
      actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
        }
      }
    },
    {
      sid     = "CloudTrailEncrypt"
      service = "cloudtrail.amazonaws.com"
      actions = ["kms:GenerateDataKey*"]
      condition = {
        StringEquals = { "aws:SourceArn" = [local.trail_arn] }
        StringLike = {
          "kms:EncryptionContext:aws:cloudtrail:arn" = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
        }
      }
    },
    {
      sid       = "CloudTrailDescribe"
      service   = "cloudtrail.amazonaws.com"
      actions   = ["kms:DescribeKey"]
      condition = { StringEquals = { "aws:SourceArn" = [local.trail_arn] } }
    },
    {
      # Alarm actions publish to the KMS-encrypted SNS topic below.
      sid       = "CloudWatchAlarms"
      service   = "cloudwatch.amazonaws.com"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      condition = { StringEquals = { "aws:SourceAccount" = [local.account_id] } }
    },
  ]
}

# S3 server access logs and ALB access logs can only be delivered to SSE-S3 buckets, so this one
# bucket is the exception to "SSE-KMS everywhere"; it holds request metadata, not data.
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:S3 server access logging and ALB access logs only support SSE-S3 destinations (AWS limitation).
  #checkov:skip=CKV_AWS_18:This is the access log destination; logging it to itself would loop.
  #checkov:skip=CKV_AWS_144:Cross-region replication of request logs is an organisation-level DR decision.
  bucket        = "${var.name}-access-logs-${local.account_id}"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {
      prefix = ""
    }

    transition {
      days          = 90
      storage_class = "GLACIER_IR"
    }

    expiration {
      days = var.trail_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_notification" "access_logs" {
  bucket      = aws_s3_bucket.access_logs.id
  eventbridge = true
}

locals {
  access_logs_arn = aws_s3_bucket.access_logs.arn

  access_log_statements = concat(
    [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.access_logs_arn, "${local.access_logs_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "S3ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.access_logs_arn}/s3/*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ],
    var.alb_access_logs ? [
      {
        # Regions launched before August 2022 deliver from a regional ELB account, newer ones
        # from the log delivery service principal; granting both keeps the module region-agnostic.
        Sid    = "AlbAccessLogs"
        Effect = "Allow"
        Principal = {
          AWS     = data.aws_elb_service_account.current.arn
          Service = "logdelivery.elasticloadbalancing.amazonaws.com"
        }
        Action   = "s3:PutObject"
        Resource = "${local.access_logs_arn}/alb/AWSLogs/${local.account_id}/*"
      },
    ] : [],
  )
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.access_log_statements })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

module "trail_bucket" {
  source = "../s3_bucket"

  name              = "${var.name}-cloudtrail-${local.account_id}"
  kms_key_arn       = module.logs_key.arn
  access_log_bucket = aws_s3_bucket.access_logs.id
  access_log_prefix = "s3/${var.name}-cloudtrail/"
  force_destroy     = var.force_destroy
  policy_statements = [
    {
      sid       = "CloudTrailAclCheck"
      service   = "cloudtrail.amazonaws.com"
      actions   = ["s3:GetBucketAcl"]
      resources = ["arn:${local.partition}:s3:::${var.name}-cloudtrail-${local.account_id}"]
      condition = { StringEquals = { "aws:SourceArn" = [local.trail_arn] } }
    },
    {
      sid       = "CloudTrailWrite"
      service   = "cloudtrail.amazonaws.com"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${var.name}-cloudtrail-${local.account_id}/AWSLogs/${local.account_id}/*"]
      condition = { StringEquals = { "aws:SourceArn" = [local.trail_arn] } }
    },
  ]
  lifecycle_rules = [
    {
      id              = "archive-trail"
      transitions     = [{ days = 90, storage_class = "GLACIER" }]
      expiration_days = var.trail_retention_days
    },
  ]
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/aws/cloudtrail/${local.trail_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.logs_key.arn
}

data "aws_iam_policy_document" "trail_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

resource "aws_iam_role" "trail_logs" {
  name                 = "${var.name}-cloudtrail-logs"
  assume_role_policy   = data.aws_iam_policy_document.trail_assume.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "trail_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "trail_logs" {
  name   = "deliver-to-cloudwatch"
  role   = aws_iam_role.trail_logs.id
  policy = data.aws_iam_policy_document.trail_logs.json
}

resource "aws_cloudtrail" "this" {
  name                          = local.trail_name
  s3_bucket_name                = module.trail_bucket.id
  kms_key_id                    = module.logs_key.arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail_logs.arn
  sns_topic_name                = aws_sns_topic.alarms.arn

  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  dynamic "advanced_event_selector" {
    for_each = length(var.data_event_bucket_arns) > 0 ? [1] : []

    content {
      name = "Data lake object access"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field       = "resources.ARN"
        starts_with = [for arn in var.data_event_bucket_arns : "${arn}/"]
      }
    }
  }

  depends_on = [module.trail_bucket]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-security-alarms"
  kms_master_key_id = module.logs_key.arn
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "CloudTrailPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  # CIS AWS Foundations benchmark 4.x metric filters on the CloudTrail log group.
  security_alarms = {
    unauthorized-api-calls      = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
    console-login-without-mfa   = "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") && ($.userIdentity.type = \"IAMUser\") && ($.responseElements.ConsoleLogin = \"Success\") }"
    root-account-usage          = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    iam-policy-changes          = "{ ($.eventSource = \"iam.amazonaws.com\") && (($.eventName = \"Put*Policy\") || ($.eventName = \"Delete*Policy*\") || ($.eventName = \"Attach*Policy\") || ($.eventName = \"Detach*Policy\") || ($.eventName = \"CreatePolicy*\")) }"
    cloudtrail-changes          = "{ ($.eventName = \"CreateTrail\") || ($.eventName = \"UpdateTrail\") || ($.eventName = \"DeleteTrail\") || ($.eventName = \"StartLogging\") || ($.eventName = \"StopLogging\") }"
    kms-key-disabled-or-deleted = "{ ($.eventSource = \"kms.amazonaws.com\") && (($.eventName = \"DisableKey\") || ($.eventName = \"ScheduleKeyDeletion\")) }"
    s3-bucket-policy-changes    = "{ ($.eventSource = \"s3.amazonaws.com\") && (($.eventName = \"PutBucketPolicy\") || ($.eventName = \"DeleteBucketPolicy\") || ($.eventName = \"PutBucketPublicAccessBlock\") || ($.eventName = \"DeleteBucketPublicAccessBlock\")) }"
    security-group-changes      = "{ ($.eventName = \"AuthorizeSecurityGroupIngress\") || ($.eventName = \"AuthorizeSecurityGroupEgress\") || ($.eventName = \"RevokeSecurityGroupIngress\") || ($.eventName = \"RevokeSecurityGroupEgress\") || ($.eventName = \"CreateSecurityGroup\") || ($.eventName = \"DeleteSecurityGroup\") }"
  }
}

resource "aws_cloudwatch_log_metric_filter" "security" {
  for_each = local.security_alarms

  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = each.value

  metric_transformation {
    name      = each.key
    namespace = "${var.name}/Security"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "security" {
  for_each = local.security_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "CloudTrail recorded ${replace(each.key, "-", " ")} in ${var.name}."
  namespace           = "${var.name}/Security"
  metric_name         = aws_cloudwatch_log_metric_filter.security[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
