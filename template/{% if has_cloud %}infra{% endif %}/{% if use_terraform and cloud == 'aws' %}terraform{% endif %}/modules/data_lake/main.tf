# The data lake: one bucket whose prefixes mirror the local layout (contracts.Settings), so a
# service reads and writes the same relative paths on a laptop and in the cloud.
data "aws_caller_identity" "current" {}

module "key" {
  source = "../kms_key"

  alias       = "${var.name}-data-lake"
  description = "${var.name}: data lake objects"
}

module "bucket" {
  source = "../s3_bucket"

  name              = "${var.name}-data-lake-${data.aws_caller_identity.current.account_id}"
  kms_key_arn       = module.key.arn
  access_log_bucket = var.access_log_bucket
  access_log_prefix = "s3/${var.name}-data-lake/"
  force_destroy     = var.force_destroy
  lifecycle_rules = [
    {
      id                         = "raw"
      prefix                     = "lake/raw/"
      transitions                = [{ days = 30, storage_class = "INTELLIGENT_TIERING" }]
      expiration_days            = var.raw_retention_days
      noncurrent_expiration_days = var.noncurrent_version_days
    },
    {
      id                         = "quarantine"
      prefix                     = "lake/quarantine/"
      expiration_days            = var.quarantine_retention_days
      noncurrent_expiration_days = var.noncurrent_version_days
    },
    {
      id                         = "reports"
      prefix                     = "reports/"
      expiration_days            = var.reports_retention_days
      noncurrent_expiration_days = var.noncurrent_version_days
    },
    {
      id                         = "all-objects"
      transitions                = [{ days = 90, storage_class = "INTELLIGENT_TIERING" }]
      noncurrent_expiration_days = var.noncurrent_version_days
    },
  ]
}
