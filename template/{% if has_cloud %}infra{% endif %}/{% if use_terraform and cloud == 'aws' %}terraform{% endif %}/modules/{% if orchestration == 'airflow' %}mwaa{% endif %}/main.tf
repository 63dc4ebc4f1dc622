# Amazon MWAA runs the pipeline DAGs (orchestration/dags, docs/adr/0019-orchestration-airflow.md):
# private web server, private subnets, a customer-managed key for the environment's data and
# logs, a versioned and encrypted DAG bucket, and an execution role limited to this environment
# and to starting the services' own workloads.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  env_name   = "${var.name}-airflow"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  log_groups = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:airflow-${local.env_name}-*"
}

module "key" {
  source = "../kms_key"

  alias       = "${var.name}-airflow"
  description = "${var.name}: MWAA environment data, DAG bucket and Airflow logs"
  service_statements = [
    {
      sid     = "AirflowLogs"
      service = "logs.${local.region}.amazonaws.com"
      actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      condition = {
        ArnLike = { "kms:EncryptionContext:aws:logs:arn" = [local.log_groups] }
      }
    },
  ]
}

module "dag_bucket" {
  source = "../s3_bucket"

  name              = "${var.name}-airflow-dags-${local.account_id}"
  kms_key_arn       = module.key.arn
  access_log_bucket = var.access_log_bucket
  access_log_prefix = "s3/${var.name}-airflow-dags/"
  force_destroy     = var.force_destroy
  lifecycle_rules = [
    {
      id                         = "all-objects"
      noncurrent_expiration_days = 90
    },
  ]
}

# The startup script exports the DAGs' configuration on every scheduler and worker; Terraform
# owns it (its version is pinned on the environment), `scripts/deploy.sh dags` owns dags/.
resource "aws_s3_object" "startup" {
  bucket     = module.dag_bucket.id
  key        = "startup.sh"
  kms_key_id = module.key.arn
  content = join("\n", concat(
    ["#!/bin/sh", "# Written by Terraform (modules/mwaa): the environment of the pipeline DAGs."],
    [for key, value in var.pipeline_environment : "export ${key}='${value}'"],
    [""],
  ))
}

resource "aws_security_group" "this" {
  name        = local.env_name
  description = "MWAA ${local.env_name}: its own components, and HTTPS out"
  vpc_id      = var.vpc_id

  ingress {
    description = "Components of the environment talk to each other"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    self        = true
  }

  egress {
    description = "Components of the environment talk to each other"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    self        = true
  }

  egress {
    description = "AWS APIs (S3, SQS, logs, EKS/ECS) through the VPC endpoints or the NAT gateway"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                 = local.env_name
  description          = "MWAA ${local.env_name}: scheduler and workers of the pipeline DAGs"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PublishMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = ["arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.env_name}"]
  }

  statement {
    sid       = "ReadDagBucket"
    actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]
    resources = [module.dag_bucket.arn, "${module.dag_bucket.arn}/*"]
  }

  statement {
    sid       = "CheckBucketIsPrivate"
    actions   = ["s3:GetAccountPublicAccessBlock"]
    resources = ["*"]
  }

  statement {
    sid = "WriteAirflowLogs"
    actions = [
      "logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents",
      "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults",
    ]
    resources = [local.log_groups, "${local.log_groups}:log-stream:*"]
  }

  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["AmazonMWAA"]
    }
  }

  statement {
    sid = "CeleryQueue"
    actions = [
      "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  statement {
    sid       = "EnvironmentKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    resources = [module.key.arn]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.eks_cluster_name != null ? [1] : []

    content {
      sid       = "FindCluster"
      actions   = ["eks:DescribeCluster"]
      resources = ["arn:${local.partition}:eks:${local.region}:${local.account_id}:cluster/${var.eks_cluster_name}"]
    }
  }

  dynamic "statement" {
    for_each = var.ecs_cluster_arn != null ? [1] : []

    content {
      sid       = "RunServiceTasks"
      actions   = ["ecs:RunTask"]
      resources = [for family in var.ecs_task_family_arns : "${family}:*"]

      condition {
        test     = "ArnEquals"
        variable = "ecs:cluster"
        values   = [var.ecs_cluster_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ecs_cluster_arn != null ? [1] : []

    content {
      sid       = "WatchServiceTasks"
      actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
      resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/*"]

      condition {
        test     = "ArnEquals"
        variable = "ecs:cluster"
        values   = [var.ecs_cluster_arn]
      }
    }
  }

  # processing=spark: the features task starts a run of the features Glue job, follows it and
  # stops it when it outlasts the task's wait; that job only (no PassRole: the job has its role).
  dynamic "statement" {
    for_each = var.glue_job_arn != null ? [1] : []

    content {
      sid       = "RunFeaturesGlueJob"
      actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"]
      resources = [var.glue_job_arn]
    }
  }

  dynamic "statement" {
    for_each = var.ecs_cluster_arn != null ? [1] : []

    content {
      sid       = "PassTaskRoles"
      actions   = ["iam:PassRole"]
      resources = var.ecs_pass_role_arns

      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = ["ecs-tasks.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "mwaa-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# On EKS: the execution role may create and watch pods in the services' namespace only.
resource "aws_eks_access_entry" "airflow" {
  count = var.eks_cluster_name != null ? 1 : 0

  cluster_name  = var.eks_cluster_name
  principal_arn = aws_iam_role.execution.arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "airflow" {
  count = var.eks_cluster_name != null ? 1 : 0

  cluster_name  = var.eks_cluster_name
  principal_arn = aws_iam_role.execution.arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = [var.eks_namespace]
  }

  depends_on = [aws_eks_access_entry.airflow]
}

resource "aws_mwaa_environment" "this" {
  name                             = local.env_name
  airflow_version                  = var.airflow_version
  environment_class                = var.environment_class
  max_workers                      = var.max_workers
  execution_role_arn               = aws_iam_role.execution.arn
  kms_key                          = module.key.arn
  source_bucket_arn                = module.dag_bucket.arn
  dag_s3_path                      = "dags/"
  startup_script_s3_path           = aws_s3_object.startup.key
  startup_script_s3_object_version = aws_s3_object.startup.version_id
  webserver_access_mode            = "PRIVATE_ONLY"
  endpoint_management              = "SERVICE"

  airflow_configuration_options = {
    "core.load_examples" = "False"
  }

  network_configuration {
    security_group_ids = [aws_security_group.this.id]
    subnet_ids         = slice(var.private_subnet_ids, 0, 2)
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = "INFO"
    }
    scheduler_logs {
      enabled   = true
      log_level = "INFO"
    }
    task_logs {
      enabled   = true
      log_level = "INFO"
    }
    webserver_logs {
      enabled   = true
      log_level = "INFO"
    }
    worker_logs {
      enabled   = true
      log_level = "INFO"
    }
  }

  depends_on = [aws_iam_role_policy.execution]
}
