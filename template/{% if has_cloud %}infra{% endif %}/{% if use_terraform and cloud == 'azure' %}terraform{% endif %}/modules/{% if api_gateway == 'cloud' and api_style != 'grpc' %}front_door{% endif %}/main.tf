# Azure Front Door Premium with a WAF policy in front of API Management: the only public
# entry of the API. Every request is inspected (Microsoft default rule set 2.1 and bot
# manager rules, blocking), each client address is rate-limited, and only HTTPS on the API's
# path is routed. Front Door calls API Management over HTTPS with the header X-Azure-FDID set
# to this profile's GUID; API Management refuses any request without it (see
# modules/api_management), and its subnet admits port 443 from Front Door's backend only.
# Access, WAF and health-probe logs go to the environment's Log Analytics workspace.

locals {
  # Firewall policy names allow letters and digits only, starting with a letter.
  firewall_policy_name = "waf${replace(var.name, "-", "")}"
}

resource "azurerm_cdn_frontdoor_profile" "this" {
  name                     = var.name
  resource_group_name      = var.resource_group_name
  sku_name                 = "Premium_AzureFrontDoor"
  response_timeout_seconds = var.response_timeout_seconds
  tags                     = var.tags
}

resource "azurerm_cdn_frontdoor_endpoint" "this" {
  name                     = var.name
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  tags                     = var.tags
}

resource "azurerm_cdn_frontdoor_origin_group" "api_management" {
  name                     = "api-management"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  session_affinity_enabled = false

  load_balancing {}

  # API Management's own status endpoint: 200 while the gateway is up, no subscription needed.
  health_probe {
    protocol            = "Https"
    request_type        = "GET"
    path                = "/status-0123456789abcdef"
    interval_in_seconds = 100
  }
}

resource "azurerm_cdn_frontdoor_origin" "api_management" {
  name                           = "api-management"
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.api_management.id
  host_name                      = var.origin_host
  origin_host_header             = var.origin_host
  https_port                     = 443
  certificate_name_check_enabled = true
}

# HTTPS only, on the API's path only, never cached: plain HTTP is not answered (no redirect
# that would carry keys in clear text first), and nothing else reaches API Management.
resource "azurerm_cdn_frontdoor_route" "api" {
  name                          = "api"
  cdn_frontdoor_endpoint_id     = azurerm_cdn_frontdoor_endpoint.this.id
  cdn_frontdoor_origin_group_id = azurerm_cdn_frontdoor_origin_group.api_management.id
  cdn_frontdoor_origin_ids      = [azurerm_cdn_frontdoor_origin.api_management.id]
  patterns_to_match             = ["/${var.path}/*"]
  supported_protocols           = ["Https"]
  https_redirect_enabled        = false
  forwarding_protocol           = "HttpsOnly"
  link_to_default_domain        = true
}

resource "azurerm_cdn_frontdoor_firewall_policy" "this" {
  name                              = local.firewall_policy_name
  resource_group_name               = var.resource_group_name
  sku_name                          = azurerm_cdn_frontdoor_profile.this.sku_name
  enabled                           = true
  mode                              = "Prevention"
  request_body_check_enabled        = true
  custom_block_response_status_code = 403
  custom_block_response_body = base64encode(jsonencode({
    error = { code = "forbidden", message = "request blocked by the web application firewall" }
  }))
  tags = var.tags

  # Each client address (as Front Door's socket sees it) may send this many requests per
  # minute, authenticated or not; API Management then meters each subscription on its own.
  custom_rule {
    name                           = "RateLimitPerClientAddress"
    type                           = "RateLimitRule"
    action                         = "Block"
    priority                       = 1
    rate_limit_duration_in_minutes = 1
    rate_limit_threshold           = var.requests_per_minute_per_ip

    # Front Door requires a match condition: "not from 192.0.2.0/24" (a documentation range no
    # client uses) matches every IPv4 and IPv6 client, as in Microsoft's rate-limit sample.
    match_condition {
      match_variable     = "SocketAddr"
      operator           = "IPMatch"
      negation_condition = true
      match_values       = ["192.0.2.0/24"]
    }
  }

  # OWASP-style protections (SQL injection, XSS, protocol attacks, ...), anomaly scoring.
  managed_rule {
    type    = "Microsoft_DefaultRuleSet"
    version = "2.1"
    action  = "Block"
  }

  # Known bad bots and scanners.
  managed_rule {
    type    = "Microsoft_BotManagerRuleSet"
    version = "1.1"
    action  = "Block"
  }
}

resource "azurerm_cdn_frontdoor_security_policy" "this" {
  name                     = "waf"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id

  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.this.id

      association {
        patterns_to_match = ["/*"]

        domain {
          cdn_frontdoor_domain_id = azurerm_cdn_frontdoor_endpoint.this.id
        }
      }
    }
  }
}

# Access logs (every request: client, path, status, latency, TLS version), WAF logs (every
# rule match and block) and health probes, with all metrics, into Log Analytics.
resource "azurerm_monitor_diagnostic_setting" "this" {
  name                           = "to-log-analytics"
  target_resource_id             = azurerm_cdn_frontdoor_profile.this.id
  log_analytics_workspace_id     = var.log_analytics_workspace_id
  log_analytics_destination_type = "Dedicated"

  enabled_log {
    category = "FrontDoorAccessLog"
  }

  enabled_log {
    category = "FrontDoorWebApplicationFirewallLog"
  }

  enabled_log {
    category = "FrontDoorHealthProbeLog"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
