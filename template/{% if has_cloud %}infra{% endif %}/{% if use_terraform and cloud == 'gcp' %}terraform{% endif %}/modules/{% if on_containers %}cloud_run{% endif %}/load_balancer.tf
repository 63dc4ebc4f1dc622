# External HTTPS load balancer in front of `serving`, created when serving_domain is set:
# Google-managed certificate, TLS 1.2+ with a restricted cipher suite, Cloud Armor WAF and
# rate limiting (modules/edge_security), request logging.
locals {
  load_balancer = var.serving_domain == "" ? {} : { serving = var.serving_domain }
}

resource "google_compute_region_network_endpoint_group" "serving" {
  for_each = local.load_balancer

  project               = var.project_id
  name                  = "${var.name}-serving"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloud_run_v2_service.serving.name
  }
}

module "edge" {
  source   = "../edge_security"
  for_each = local.load_balancer

  project_id            = var.project_id
  name                  = "${var.name}-serving"
  description           = "WAF and rate limiting in front of the serving API"
  rate_limit_per_minute = var.serving_rate_limit_per_minute
  rate_limit_key_header = var.rate_limit_key_header
}

resource "google_compute_backend_service" "serving" {
  for_each = local.load_balancer

  project               = var.project_id
  name                  = "${var.name}-serving"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = module.edge[each.key].security_policy_id

  backend {
    group = google_compute_region_network_endpoint_group.serving[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "serving" {
  for_each = local.load_balancer

  project         = var.project_id
  name            = "${var.name}-serving"
  default_service = google_compute_backend_service.serving[each.key].id
}

resource "google_compute_managed_ssl_certificate" "serving" {
  for_each = local.load_balancer

  project = var.project_id
  name    = "${var.name}-serving"

  managed {
    domains = [each.value]
  }
}

resource "google_compute_target_https_proxy" "serving" {
  for_each = local.load_balancer

  project          = var.project_id
  name             = "${var.name}-serving"
  url_map          = google_compute_url_map.serving[each.key].id
  ssl_certificates = [google_compute_managed_ssl_certificate.serving[each.key].id]
  ssl_policy       = module.edge[each.key].ssl_policy_id
}

resource "google_compute_global_address" "serving" {
  for_each = local.load_balancer

  project = var.project_id
  name    = "${var.name}-serving"
}

resource "google_compute_global_forwarding_rule" "serving" {
  for_each = local.load_balancer

  project               = var.project_id
  name                  = "${var.name}-serving"
  target                = google_compute_target_https_proxy.serving[each.key].id
  ip_address            = google_compute_global_address.serving[each.key].id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
