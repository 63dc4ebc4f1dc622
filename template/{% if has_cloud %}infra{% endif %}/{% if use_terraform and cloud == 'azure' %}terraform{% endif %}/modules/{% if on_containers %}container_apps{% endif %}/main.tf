# Azure Container Apps: an internal-only environment injected into the VNet. Services are
# reachable only from the VNet through the environment's internal load balancer; each app or
# job runs as its own user-assigned managed identity (registry pulls, data lake, Key Vault).

resource "azurerm_container_app_environment" "this" {
  name                               = "cae-${var.name}"
  location                           = var.location
  resource_group_name                = var.resource_group_name
  infrastructure_subnet_id           = var.infrastructure_subnet_id
  infrastructure_resource_group_name = "rg-${var.name}-cae-infra"
  internal_load_balancer_enabled     = true
  public_network_access              = "Disabled"
  zone_redundancy_enabled            = true
  mutual_tls_enabled                 = true
  logs_destination                   = "log-analytics"
  log_analytics_workspace_id         = var.log_analytics_workspace_id
  tags                               = var.tags

  workload_profile {
    name                  = "Consumption"
    workload_profile_type = "Consumption"
  }
}

# Internal apps get <app>.<default_domain>; that domain resolves only inside the VNet.
resource "azurerm_private_dns_zone" "environment" {
  name                = azurerm_container_app_environment.this.default_domain
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "environment" {
  name                  = "link-cae-${var.name}"
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.environment.name
  virtual_network_id    = var.vnet_id
  registration_enabled  = false
  tags                  = var.tags
}

resource "azurerm_private_dns_a_record" "wildcard" {
  name                = "*"
  zone_name           = azurerm_private_dns_zone.environment.name
  resource_group_name = var.resource_group_name
  ttl                 = 300
  records             = [azurerm_container_app_environment.this.static_ip_address]
  tags                = var.tags
}

resource "azurerm_container_app" "this" {
  for_each = var.apps

  name                         = "ca-${var.name}-${each.key}"
  resource_group_name          = var.resource_group_name
  container_app_environment_id = azurerm_container_app_environment.this.id
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [each.value.identity_id]
  }

  registry {
    server   = var.registry_login_server
    identity = each.value.identity_id
  }

  dynamic "secret" {
    for_each = each.value.secrets

    content {
      name                = lower(replace(secret.key, "_", "-"))
      key_vault_secret_id = secret.value
      identity            = each.value.identity_id
    }
  }

  ingress {
    external_enabled           = false
    allow_insecure_connections = false
    target_port                = each.value.target_port
    transport                  = "http"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = each.value.min_replicas
    max_replicas = each.value.max_replicas

    container {
      name   = each.key
      image  = var.placeholder_image
      cpu    = each.value.cpu
      memory = each.value.memory

      env {
        name  = "AZURE_CLIENT_ID"
        value = each.value.identity_client_id
      }

      dynamic "env" {
        for_each = each.value.env

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = each.value.secrets

        content {
          name        = env.key
          secret_name = lower(replace(env.key, "_", "-"))
        }
      }

      liveness_probe {
        transport = "HTTP"
        port      = each.value.target_port
        path      = "/healthz"
      }

      readiness_probe {
        transport = "HTTP"
        port      = each.value.target_port
        path      = "/readyz"
      }
    }
  }

  # CI owns the running image (`make deploy`); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }
}

resource "azurerm_container_app_job" "this" {
  for_each = var.jobs

  name                         = "caj-${var.name}-${each.key}"
  location                     = var.location
  resource_group_name          = var.resource_group_name
  container_app_environment_id = azurerm_container_app_environment.this.id
  workload_profile_name        = "Consumption"
  replica_timeout_in_seconds   = each.value.timeout_seconds
  replica_retry_limit          = 1
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [each.value.identity_id]
  }

  registry {
    server   = var.registry_login_server
    identity = each.value.identity_id
  }

  schedule_trigger_config {
    cron_expression          = each.value.cron_expression
    parallelism              = 1
    replica_completion_count = 1
  }

  template {
    container {
      name   = each.key
      image  = var.placeholder_image
      cpu    = each.value.cpu
      memory = each.value.memory

      env {
        name  = "AZURE_CLIENT_ID"
        value = each.value.identity_client_id
      }

      dynamic "env" {
        for_each = each.value.env

        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }
}
