# External HTTPS load balancer in front of `serving`, created when serving_domain is set:
# Google-managed certificate, TLS 1.2+ with a restricted cipher suite, Cloud Armor WAF and
# rate limiting, request logging.
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

resource "google_compute_security_policy" "serving" {
  for_each = local.load_balancer

  project     = var.project_id
  name        = "${var.name}-serving"
  description = "WAF and rate limiting in front of the serving API"
  type        = "CLOUD_ARMOR"

  rule {
    action      = "deny(403)"
    priority    = 1000
    description = "Log4j JNDI lookups (CVE-2021-44228, CVE-2021-45046)"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1100
    description = "SQL injection"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1200
    description = "Cross-site scripting"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "throttle"
    priority    = 2000
    description = "Per-client rate limit"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    # Per client IP, or per value of the API key header (every client its own budget).
    rate_limit_options {
      conform_action      = "allow"
      exceed_action       = "deny(429)"
      enforce_on_key      = var.rate_limit_key_header == "" ? "IP" : "HTTP_HEADER"
      enforce_on_key_name = var.rate_limit_key_header == "" ? null : var.rate_limit_key_header
      rate_limit_threshold {
        count        = var.serving_rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default rule"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

resource "google_compute_backend_service" "serving" {
  for_each = local.load_balancer

  project               = var.project_id
  name                  = "${var.name}-serving"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = google_compute_security_policy.serving[each.key].id

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

resource "google_compute_ssl_policy" "serving" {
  for_each = local.load_balancer

  project         = var.project_id
  name            = "${var.name}-serving"
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "serving" {
  for_each = local.load_balancer

  project          = var.project_id
  name             = "${var.name}-serving"
  url_map          = google_compute_url_map.serving[each.key].id
  ssl_certificates = [google_compute_managed_ssl_certificate.serving[each.key].id]
  ssl_policy       = google_compute_ssl_policy.serving[each.key].id
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
