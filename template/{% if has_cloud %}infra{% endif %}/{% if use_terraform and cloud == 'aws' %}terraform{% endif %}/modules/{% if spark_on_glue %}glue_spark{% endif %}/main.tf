# The features job as an AWS Glue job (docs/adr/0024-managed-spark.md): Glue 5.0 runs Spark 3.5
# on Python 3.11, the line the project pins locally, without a container image. Its script and
# the project's wheels (with their dependencies' wheels) sit in a KMS-encrypted artifacts bucket
# and Glue installs them with pip from there only; the job runs in the private subnets through a
# NETWORK connection; its role reaches the features service's lake prefixes, the
# pseudonymisation key's secret and the keys they need, nothing else; a security configuration
# encrypts what Glue writes to S3, its CloudWatch logs and job bookmarks.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_subnet" "job" {
  id = var.private_subnet_ids[0]
}

locals {
  job_name   = "${var.name}-build-features"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  prefixes   = concat(var.lake_read_prefixes, var.lake_write_prefixes)
  artifacts  = "s3://${module.artifacts.id}"
  # Glue names the job's log groups after the security configuration when it encrypts them.
  log_groups = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/jobs/*"
}

# The job's script, the wheels it installs and Glue's temporary files: versioned, private,
# SSE-KMS with the data lake's key, TLS only (modules/s3_bucket).
module "artifacts" {
  source = "../s3_bucket"

  name              = "${var.name}-glue-artifacts-${local.account_id}"
  kms_key_arn       = var.data_lake_kms_key_arn
  access_log_bucket = var.access_log_bucket
  access_log_prefix = "s3/${var.name}-glue-artifacts/"
  force_destroy     = var.force_destroy
  lifecycle_rules = [
    {
      id                         = "code"
      prefix                     = "code/"
      expiration_days            = var.artifact_retention_days
      noncurrent_expiration_days = 7
    },
    {
      id                         = "temporary"
      prefix                     = "tmp/"
      expiration_days            = 7
      noncurrent_expiration_days = 1
    },
  ]
}

resource "aws_glue_security_configuration" "this" {
  name = local.job_name

  encryption_configuration {
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.data_lake_kms_key_arn
    }

    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.logs_kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.data_lake_kms_key_arn
    }
  }
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached to the Glue NETWORK connection (security_group_id_list), which checkov's graph does not link to security groups.
  name        = "${local.job_name}-glue"
  description = "Glue job ${local.job_name}: driver and executors, and HTTPS out"
  vpc_id      = var.vpc_id

  # Glue requires a self-referencing rule: the job's workers talk to each other.
  ingress {
    description = "The driver and its executors talk to each other"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    self        = true
  }

  egress {
    description = "The driver and its executors talk to each other"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    self        = true
  }

  egress {
    description = "AWS APIs (S3, Secrets Manager, logs, Glue) through the VPC endpoints or the NAT gateway"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# The job's workers get their network interfaces in a private subnet, behind the security group.
resource "aws_glue_connection" "network" {
  name            = "${local.job_name}-network"
  description     = "Private subnet of the features job's workers"
  connection_type = "NETWORK"

  physical_connection_requirements {
    availability_zone      = data.aws_subnet.job.availability_zone
    subnet_id              = data.aws_subnet.job.id
    security_group_id_list = [aws_security_group.this.id]
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    # Confused-deputy guard: only this account's Glue.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  name                 = "${local.job_name}-glue"
  description          = "Role of the features Spark job on AWS Glue"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [var.data_lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.prefixes : "${prefix}*"]
    }
  }

  statement {
    sid       = "ReadPrefixes"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for prefix in local.prefixes : "${var.data_lake_bucket_arn}/${prefix}*"]
  }

  statement {
    sid       = "WritePrefixes"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in var.lake_write_prefixes : "${var.data_lake_bucket_arn}/${prefix}*"]
  }

  statement {
    sid       = "ReadCode"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${module.artifacts.arn}/code/*"]
  }

  statement {
    sid       = "UseTemporaryDirectory"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${module.artifacts.arn}/tmp/*"]
  }

  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [module.artifacts.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["code/*", "tmp/*"]
    }
  }

  statement {
    sid       = "UseDataLakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.data_lake_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # The job reads the key itself (contracts.secret_manager): only this secret.
  statement {
    sid       = "ReadPseudonymisationKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.pseudonymisation_key_secret_arn]
  }

  statement {
    sid       = "DecryptPseudonymisationKey"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [local.log_groups, "${local.log_groups}:log-stream:*"]
  }

  statement {
    sid       = "EncryptJobLogs"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.logs_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["logs.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadOwnConnection"
    actions   = ["glue:GetConnection"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:connection/${aws_glue_connection.network.name}",
    ]
  }

  # Glue attaches the workers' network interfaces in the connection's subnet with the job's
  # role. These EC2 Describe actions have no resource-level permissions, so they take "*".
  statement {
    sid = "DescribeNetwork"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeRouteTables",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeOwnVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/${var.vpc_id}"]
  }

  statement {
    sid       = "AttachWorkersInTheSubnet"
    actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags", "ec2:DeleteTags"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
      data.aws_subnet.job.arn,
      aws_security_group.this.arn,
    ]
  }
}

resource "aws_iam_role_policy" "job" {
  name   = "features-glue-job"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

resource "aws_glue_job" "features" {
  name                   = local.job_name
  description            = "build-features on Spark (the features service, docs/adr/0024-managed-spark.md)"
  role_arn               = aws_iam_role.job.arn
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.this.name
  connections            = [aws_glue_connection.network.name]

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.artifacts}/code/build_features.py"
  }

  # One run at a time: two runs of a day would race on the same output partition.
  execution_property {
    max_concurrent_runs = 1
  }

  # Each run adds --additional-python-modules (the wheels of its code version, in S3) and
  # --APP_CODE_VERSION (scripts/deploy/glue_job.py). pip installs exactly those wheels: no
  # index (never PyPI), no dependency resolution (they are uv.lock's whole closure; pyspark,
  # which the features wheel requires, is Glue's own Spark). The key is named, never passed.
  default_arguments = {
    "--job-language"                     = "python"
    "--job-bookmark-option"              = "job-bookmark-disable"
    "--enable-continuous-cloudwatch-log" = "true"
    "--enable-metrics"                   = "true"
    "--TempDir"                          = "${local.artifacts}/tmp/"
    "--python-modules-installer-option"  = "--no-index --no-deps"
    "--APP_ENVIRONMENT"                  = "production"
    "--APP_LAKE_URI"                     = var.lake_uri
    "--APP_REPORTS_URI"                  = var.reports_uri
    "--APP_PSEUDONYMISATION_KEY_SECRET"  = var.pseudonymisation_key_secret_arn
  }
}

# ---------------------------------------------------------------- the pipeline's runs
# orchestration=kubeflow: the pipeline's features step starts a run of this job, follows it and
# stops it when it outlasts the step's wait, as the Kubeflow run's Kubernetes service account
# (IRSA). That role may do exactly that, on this job only (no PassRole: the job has its role).
data "aws_iam_policy_document" "pipeline_assume" {
  count = var.pipeline_service_account != null ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.pipeline_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  count = var.pipeline_service_account != null ? 1 : 0

  name                 = "${local.job_name}-pipeline"
  description          = "Kubeflow run of the lifecycle: start and follow the features Glue job"
  assume_role_policy   = data.aws_iam_policy_document.pipeline_assume[0].json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "RunFeaturesGlueJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"]
    resources = [aws_glue_job.features.arn]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  count = var.pipeline_service_account != null ? 1 : 0

  name   = "run-features-glue-job"
  role   = aws_iam_role.pipeline[0].id
  policy = data.aws_iam_policy_document.pipeline.json
}
