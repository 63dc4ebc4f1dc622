# One ECR repository per service. Tags are immutable: a tag names exactly one build forever, so
# a rollout of IMAGE_TAG is reproducible and auditable.
data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

module "key" {
  source = "../kms_key"

  alias       = "${var.name}-registry"
  description = "${var.name}: container images"
}

resource "aws_ecr_repository" "this" {
  for_each = var.services

  name                 = "${var.namespace}/${var.image_prefix}-${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.key.arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images (failed or superseded pushes) after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Prod promotes the digests dev built and tested: the roles listed here (prod's CI role) may
# pull them, nothing else.
data "aws_iam_policy_document" "promotion" {
  count = length(var.promotion_reader_arns) > 0 ? 1 : 0

  statement {
    sid = "PromotionPullsTheTestedDigests"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
    ]

    principals {
      type        = "AWS"
      identifiers = var.promotion_reader_arns
    }
  }
}

resource "aws_ecr_repository_policy" "promotion" {
  for_each = length(var.promotion_reader_arns) > 0 ? aws_ecr_repository.this : {}

  repository = each.value.name
  policy     = data.aws_iam_policy_document.promotion[0].json
}
