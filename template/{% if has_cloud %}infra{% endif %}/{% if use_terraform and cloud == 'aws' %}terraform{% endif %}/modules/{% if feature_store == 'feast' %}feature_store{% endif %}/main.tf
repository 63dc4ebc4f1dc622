# The Feast online store (docs/adr/0022-feature-store.md): one DynamoDB table per feature view,
# created here rather than by Feast, so its encryption, recovery and access are reviewed with the
# rest of the infrastructure (Feast finds the table and skips creating it).
locals {
  table_arns = [for table in aws_dynamodb_table.online : table.arn]
}

module "kms" {
  source = "../kms_key"

  alias       = "alias/${var.name}-feature-store"
  description = "Feast online store of ${var.name} (DynamoDB tables)"
}

resource "aws_dynamodb_table" "online" {
  for_each = toset(var.feature_views)

  # Feast's table_name_template in contracts/feature_repo/<env>.yaml: "<name>.{table_name}".
  name                        = "${var.name}.${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "entity_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "entity_id"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = module.kms.arn
  }

  point_in_time_recovery {
    enabled = true
  }
}

# Serving looks features up and nothing else.
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadOnlineFeatures"
    actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:DescribeTable"]
    resources = local.table_arns
  }

  statement {
    sid       = "DecryptOnlineFeatures"
    actions   = ["kms:Decrypt"]
    resources = [module.kms.arn]
  }
}

# The features job materialises (writes) and finds the tables (feast apply); deleting one
# customer's row (forget-customer) is the operator's, not a workload's.
data "aws_iam_policy_document" "write" {
  statement {
    sid = "MaterialiseOnlineFeatures"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:ListTagsOfResource",
      "dynamodb:PutItem",
    ]
    resources = local.table_arns
  }

  statement {
    sid       = "EncryptOnlineFeatures"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [module.kms.arn]
  }
}

resource "aws_iam_role_policy" "read" {
  for_each = var.reader_role_arns

  name   = "feature-store-read"
  role   = regex("[^/]+$", each.value)
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_iam_role_policy" "write" {
  for_each = var.writer_role_arns

  name   = "feature-store-write"
  role   = regex("[^/]+$", each.value)
  policy = data.aws_iam_policy_document.write.json
}
