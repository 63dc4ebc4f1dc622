# Amazon API Gateway (REST API, regional) in front of the serving API. Clients call
# https://<api>/v1/... with their own API key in X-API-Key: the gateway refuses missing and
# unknown keys, applies each client's usage plan (rate, burst, daily quota), logs every request
# and runs the AWS WAF web ACL (modules/waf); only /v1 is routed, so health and metrics
# endpoints are never reachable from outside. The same key reaches the API, which accepts the
# gateway keys by their sha256 digests (output api_key_hashes -> APP_API_KEY_HASHES).
data "aws_region" "current" {}

locals {
  stage = "api"
  # One JSON line per request; the key's id, never the key itself.
  access_log_format = jsonencode({
    requestId      = "$context.requestId"
    ip             = "$context.identity.sourceIp"
    userAgent      = "$context.identity.userAgent"
    apiKeyId       = "$context.identity.apiKeyId"
    requestTime    = "$context.requestTime"
    httpMethod     = "$context.httpMethod"
    resourcePath   = "$context.resourcePath"
    status         = "$context.status"
    responseLength = "$context.responseLength"
    latency        = "$context.responseLatency"
    upstream       = "$context.integration.latency"
    wafStatus      = "$context.waf.status"
    error          = "$context.error.message"
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name                         = "${var.name}-serving"
  description                  = "Public entry of the ${var.name} serving API"
  api_key_source               = "HEADER" # pragma: allowlist secret (where keys are read)
  disable_execute_api_endpoint = var.domain_name != null

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "v1" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "v1"
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.v1.id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_request_validator" "parameters" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "required-parameters"
  validate_request_parameters = true
  validate_request_body       = false
}

# Every method needs an API key of a usage plan; the API checks the same key again.
resource "aws_api_gateway_method" "proxy" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.proxy.id
  http_method          = "ANY"
  authorization        = "NONE"
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.parameters.id

  request_parameters = {
    "method.request.path.proxy"       = true
    "method.request.header.x-api-key" = true
  }
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "ANY"
  connection_type         = "VPC_LINK"
  connection_id           = aws_api_gateway_vpc_link.this.id
  uri                     = "http://${aws_lb.gateway.dns_name}:${var.target_port}/v1/{proxy}"
  timeout_milliseconds    = var.timeout_milliseconds

  request_parameters = {
    "integration.request.path.proxy"       = "method.request.path.proxy"
    "integration.request.header.X-API-Key" = "method.request.header.x-api-key"
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A changed route, method or integration is a new deployment.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.v1,
      aws_api_gateway_resource.proxy,
      aws_api_gateway_method.proxy,
      aws_api_gateway_integration.proxy,
      aws_api_gateway_request_validator.parameters,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}-serving/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Predictions depend on the caller's payload and model version; a response cache would serve stale or other clients' answers.
  #checkov:skip=CKV2_AWS_77:The web ACL comes from modules/waf, which checkov does not follow; it has AWSManagedRulesKnownBadInputsRuleSet (Log4JRCE), and the kit's tests check it.
  #checkov:skip=CKV2_AWS_51:The backend is reached through a VPC link to an internal NLB only it can use; client certificates authenticate public HTTP backends.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = local.stage
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_wafv2_web_acl_association" "stage" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}

# Execution logs (errors only, never request or response bodies) and the stage-wide ceiling
# that applies before any usage plan.
resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Caching is off on purpose (see the stage); there is no cache to encrypt.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    throttling_rate_limit  = var.stage_rate_limit
    throttling_burst_limit = var.stage_burst_limit
  }
}

# API Gateway writes logs through one role per account and region. Only the environment that
# owns that setting manages it (manage_account_logging_role), like the CI OIDC provider.
data "aws_iam_policy_document" "cloudwatch_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_logging_role ? 1 : 0

  name                 = "${var.name}-apigateway-logs"
  assume_role_policy   = data.aws_iam_policy_document.cloudwatch_assume.json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  count = var.manage_account_logging_role ? 1 : 0

  role       = aws_iam_role.cloudwatch[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}

# One API key and one usage plan per client: each client has its own rate, burst and quota.
resource "aws_api_gateway_api_key" "client" {
  for_each = var.clients

  name        = "${var.name}-${each.key}"
  description = "API key of client ${each.key}"
  enabled     = true
}

resource "aws_api_gateway_usage_plan" "client" {
  for_each = var.clients

  name        = "${var.name}-${each.key}"
  description = "Limits of client ${each.key}"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  quota_settings {
    limit  = each.value.quota_per_day
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "client" {
  for_each = var.clients

  key_id        = aws_api_gateway_api_key.client[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.client[each.key].id
}

# Optional custom domain: TLS 1.2+ with the ACM certificate; the default execute-api endpoint is
# then disabled, so the domain is the only way in.
resource "aws_api_gateway_domain_name" "this" {
  count = var.domain_name == null ? 0 : 1

  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = var.domain_name == null ? 0 : 1

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
}
