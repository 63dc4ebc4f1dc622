# Internet exposure of the serving API, only when public_serving: HTTPS (TLS 1.2+) terminates at
# an ALB in the public subnets, behind AWS WAF managed rules; tasks stay in private subnets.
resource "aws_security_group" "alb" {
  count = var.public_serving ? 1 : 0

  name        = "${var.name}-alb"
  description = "Public HTTPS load balancer of the serving API"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = var.public_serving ? toset(var.ingress_cidrs) : toset([])

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from clients in ${each.key}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.key
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  count = var.public_serving ? 1 : 0

  security_group_id            = aws_security_group.alb[0].id
  description                  = "Forward to serving tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.serving_port
  to_port                      = local.serving_port
  referenced_security_group_id = aws_security_group.serving.id
}

resource "aws_lb" "serving" {
  count = var.public_serving ? 1 : 0

  name                       = "${var.name}-serving"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb[0].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  access_logs {
    bucket  = var.access_log_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "serving" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; the hop to the task stays inside the VPC, and the container serves plain HTTP.
  count = var.public_serving ? 1 : 0

  name        = "${var.name}-serving"
  port        = local.serving_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  count = var.public_serving ? 1 : 0

  load_balancer_arn = aws_lb.serving[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.serving[0].arn
  }
}

# AWS WAF (modules/waf): managed rule groups, a per-IP rate limit, logs with X-API-Key redacted.
module "waf" {
  source = "../waf"
  count  = var.public_serving ? 1 : 0

  name               = "${var.name}-serving"
  rate_limit_per_ip  = 2000
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
}

resource "aws_wafv2_web_acl_association" "serving" {
  count = var.public_serving ? 1 : 0

  resource_arn = aws_lb.serving[0].arn
  web_acl_arn  = module.waf[0].web_acl_arn
}

# The web ACL, its log group and logging used to be defined here.
moved {
  from = aws_wafv2_web_acl.serving[0]
  to   = module.waf[0].aws_wafv2_web_acl.this
}

moved {
  from = aws_cloudwatch_log_group.waf[0]
  to   = module.waf[0].aws_cloudwatch_log_group.this
}

moved {
  from = aws_wafv2_web_acl_logging_configuration.serving[0]
  to   = module.waf[0].aws_wafv2_web_acl_logging_configuration.this
}
