# ECS on Fargate: the serving API as a long-running service in private subnets, the pipeline
# stages as scheduled tasks. Rollouts register new task definition revisions from the CLI
# (scripts/deploy/cloud.sh); Terraform owns everything else.
data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region       = data.aws_region.current.region
  serving_port = 8000
  tasks = merge(
    { serving = { cpu = var.serving.cpu, memory = var.serving.memory } },
    { for service, job in var.batch_jobs : service => { cpu = job.cpu, memory = job.memory } },
  )
  # Family ARN without revision: schedules always start the newest registered revision.
  family_arns = {
    for service in keys(local.tasks) :
    service => "arn:aws:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:task-definition/${var.name}-${service}"
  }
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/aws/ecs/${var.name}/exec"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enhanced"
  }

  configuration {
    # ECS Exec sessions are encrypted and every command is logged for audit.
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "task" {
  for_each = local.tasks

  name              = "/aws/ecs/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.tasks

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  task_role_arn            = var.task_role_arns[each.key]
  execution_role_arn       = var.execution_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root filesystem is read-only; these task-local volumes are the only writable paths.
  volume {
    name = "data"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = each.key
      image                  = "${var.repository_urls[each.key]}:${var.image_tag}"
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      privileged             = false
      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { drop = ["ALL"] }
      }
      portMappings = each.key == "serving" ? [{ containerPort = local.serving_port, protocol = "tcp" }] : []
      healthCheck = each.key == "serving" ? {
        command     = ["CMD", "python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:${local.serving_port}/healthz', timeout=4).status != 200)"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 20
      } : null
      environment = [for key, value in merge(var.environment, { APP_CODE_VERSION = var.image_tag }) : { name = key, value = value }]
      secrets     = [for key, arn in lookup(var.secret_env, each.key, {}) : { name = key, valueFrom = arn }]
      mountPoints = [
        { sourceVolume = "data", containerPath = "/app/data", readOnly = false },
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.task[each.key].name
          awslogs-region        = local.region
          awslogs-stream-prefix = each.key
        }
      }
    },
  ])
}

resource "aws_security_group" "serving" {
  name        = "${var.name}-serving"
  description = "Serving API tasks"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-serving" }
}

resource "aws_vpc_security_group_ingress_rule" "serving_from_alb" {
  count = var.public_serving ? 1 : 0

  security_group_id            = aws_security_group.serving.id
  description                  = "API traffic from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.serving_port
  to_port                      = local.serving_port
  referenced_security_group_id = aws_security_group.alb[0].id
}

resource "aws_vpc_security_group_ingress_rule" "serving_from_vpc" {
  count = var.public_serving ? 0 : 1

  security_group_id = aws_security_group.serving.id
  description       = "API traffic from inside the VPC"
  ip_protocol       = "tcp"
  from_port         = local.serving_port
  to_port           = local.serving_port
  cidr_ipv4         = var.vpc_cidr_block
}

# Tasks need HTTPS out (VPC endpoints, S3 gateway, NAT for anything else) and DNS; nothing more.
resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Egress of every task"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-tasks" }
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs and the data lake"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = "${var.name}.internal"
  description = "Private service discovery for ${var.name}"
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "serving" {
  name = "serving"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_ecs_service" "serving" {
  name                               = "${var.name}-serving"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this["serving"].arn
  desired_count                      = var.serving.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.public_serving || var.gateway_target_group_arn != null ? 60 : null

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.serving.id, aws_security_group.tasks.id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.serving.arn
  }

  dynamic "load_balancer" {
    for_each = var.public_serving ? [1] : []

    content {
      target_group_arn = aws_lb_target_group.serving[0].arn
      container_name   = "serving"
      container_port   = local.serving_port
    }
  }

  # The API gateway's internal NLB (VPC link), when the project has one.
  dynamic "load_balancer" {
    for_each = var.gateway_target_group_arn == null ? [] : [var.gateway_target_group_arn]

    content {
      target_group_arn = load_balancer.value
      container_name   = "serving"
      container_port   = local.serving_port
    }
  }

  lifecycle {
    # `make deploy` registers a revision with the new image and points the service at it.
    ignore_changes = [task_definition]
  }
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name                 = "${var.name}-scheduler"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunBatchTasks"
    actions   = ["ecs:RunTask"]
    resources = [for service in keys(var.batch_jobs) : "${local.family_arns[service]}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = concat([var.execution_role_arn], [for service in keys(var.batch_jobs) : var.task_role_arns[service]])

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "DecryptSchedule"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-batch-tasks"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
}

resource "aws_scheduler_schedule" "batch" {
  for_each = var.batch_jobs

  name                         = "${var.name}-${each.key}"
  group_name                   = aws_scheduler_schedule_group.this.name
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = local.family_arns[each.key]
      launch_type         = "FARGATE"
      platform_version    = "LATEST"
      propagate_tags      = "TASK_DEFINITION"

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts = 2
    }
  }

  depends_on = [aws_ecs_task_definition.this]
}

resource "aws_cloudwatch_metric_alarm" "serving_tasks" {
  alarm_name          = "${var.name}-serving-running-tasks"
  alarm_description   = "Fewer serving tasks run than desired: the API is degraded or down."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.serving.desired_count
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = aws_ecs_service.serving.name
  }
}
