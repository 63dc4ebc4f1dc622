# One customer-managed key per purpose: a key policy can then be as narrow as the data it protects,
# and disabling one key (incident response) does not take down unrelated workloads.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"

  # Without the account statement the key becomes unmanageable; with it, IAM policies decide which
  # roles may use the key, so grants to workloads live next to their roles (modules/iam).
  account_statement = {
    Sid       = "EnableIamPolicies"
    Effect    = "Allow"
    Principal = { AWS = local.account_root }
    Action    = "kms:*"
    Resource  = "*"
  }

  service_statements = [
    for s in var.service_statements : merge(
      {
        Sid       = s.sid
        Effect    = "Allow"
        Principal = { Service = s.service }
        Action    = s.actions
        Resource  = "*"
      },
      length(s.condition) > 0 ? { Condition = s.condition } : {}
    )
  ]
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.deletion_window_in_days
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_statement], local.service_statements)
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
