# The edge policies of one Google external Application Load Balancer in front of serving:
# Cloud Armor (OWASP rules, a rate limit per API key or per address, 403/429 answers) and the
# TLS policy (TLS 1.2 or later, the RESTRICTED cipher profile). One definition for Cloud Run's
# load balancer and GKE's Ingress (which names them in its BackendConfig and FrontendConfig).
resource "google_compute_security_policy" "serving" {
  project     = var.project_id
  name        = var.name
  description = var.description
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
    action      = "deny(403)"
    priority    = 1300
    description = "Local file inclusion"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1400
    description = "Remote code execution"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('rce-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1500
    description = "Protocol attacks (request smuggling, header injection)"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})"
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
    # Per value of the API key header (every client its own budget), or per client address.
    rate_limit_options {
      conform_action      = "allow"
      exceed_action       = "deny(429)"
      enforce_on_key      = var.rate_limit_key_header == "" ? "IP" : "HTTP_HEADER"
      enforce_on_key_name = var.rate_limit_key_header == "" ? null : var.rate_limit_key_header
      rate_limit_threshold {
        count        = var.rate_limit_per_minute
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

resource "google_compute_ssl_policy" "serving" {
  project         = var.project_id
  name            = var.name
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
}
