# Private integration: API Gateway reaches the serving API through a VPC link (PrivateLink) to
# an internal NLB in the private subnets. The NLB's security group has no inbound rule and
# PrivateLink traffic bypasses it, so the VPC link is the only way in; its egress reaches the
# API port of the targets (ECS tasks, or EKS pods bound by a TargetGroupBinding) and nothing else.
resource "aws_security_group" "nlb" {
  name        = "${var.name}-gateway-nlb"
  description = "Internal NLB behind the API Gateway VPC link; no inbound rules"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-gateway-nlb" }
}

resource "aws_vpc_security_group_egress_rule" "nlb_to_targets" {
  security_group_id            = aws_security_group.nlb.id
  description                  = "API traffic and health checks to the serving targets"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = var.target_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "targets_from_nlb" {
  security_group_id            = var.target_security_group_id
  description                  = "Serving API traffic from the API gateway's internal NLB"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = aws_security_group.nlb.id
}

resource "aws_lb" "gateway" {
  #checkov:skip=CKV_AWS_91:NLB access logs cover TLS listeners only; this TCP listener is reached only through the VPC link, and API Gateway's access log records every request.
  name                             = "${var.name}-gw"
  load_balancer_type               = "network"
  internal                         = true
  subnets                          = var.private_subnet_ids
  security_groups                  = [aws_security_group.nlb.id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection

  # Without inbound rules, only PrivateLink (the VPC link) traffic reaches the listener.
  enforce_security_group_inbound_rules_on_private_link_traffic = "off"
}

resource "aws_lb_target_group" "serving" {
  name                 = "${var.name}-gw-serving"
  port                 = var.target_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    protocol            = "HTTP"
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "serving" {
  load_balancer_arn = aws_lb.gateway.arn
  port              = var.target_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.serving.arn
  }
}

resource "aws_api_gateway_vpc_link" "this" {
  name        = "${var.name}-serving"
  description = "Private integration of the ${var.name} API with its internal NLB"
  target_arns = [aws_lb.gateway.arn]
}
