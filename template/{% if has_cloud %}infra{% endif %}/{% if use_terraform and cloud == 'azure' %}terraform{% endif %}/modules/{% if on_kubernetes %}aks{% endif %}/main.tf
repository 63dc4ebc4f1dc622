# Private AKS cluster: API server only on the VNet, Entra ID + Azure RBAC (no local accounts),
# workload identity through the OIDC issuer, Azure Policy, Cilium network policy, CMK-encrypted
# disks with encryption at host, Container Insights and Defender into Log Analytics.

resource "azurerm_user_assigned_identity" "control_plane" {
  name                = "id-aks-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_user_assigned_identity" "kubelet" {
  name                = "id-aks-${var.name}-kubelet"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

# Bring-your-own subnet: the control plane joins node NICs and the internal load balancer to it.
resource "azurerm_role_assignment" "control_plane_network" {
  scope                = var.node_subnet_id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.control_plane.principal_id
  principal_type       = "ServicePrincipal"
}

# Required to hand the pre-created kubelet identity to the node pools.
resource "azurerm_role_assignment" "control_plane_kubelet" {
  scope                = azurerm_user_assigned_identity.kubelet.id
  role_definition_name = "Managed Identity Operator"
  principal_id         = azurerm_user_assigned_identity.control_plane.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "kubelet_acr_pull" {
  scope                = var.registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.kubelet.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_disk_encryption_set" "this" {
  name                      = "des-${var.name}"
  location                  = var.location
  resource_group_name       = var.resource_group_name
  key_vault_key_id          = var.encryption_key.versionless_id
  auto_key_rotation_enabled = true
  encryption_type           = "EncryptionAtRestWithPlatformAndCustomerKeys"
  tags                      = var.tags

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "disk_encryption_key" {
  scope                = var.encryption_key.resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_disk_encryption_set.this.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_kubernetes_cluster" "this" {
  name                                = "aks-${var.name}"
  location                            = var.location
  resource_group_name                 = var.resource_group_name
  node_resource_group                 = "rg-${var.name}-aks-nodes"
  dns_prefix_private_cluster          = var.name
  kubernetes_version                  = var.kubernetes_version
  sku_tier                            = "Standard"
  automatic_upgrade_channel           = "patch"
  node_os_upgrade_channel             = "NodeImage"
  private_cluster_enabled             = true
  private_cluster_public_fqdn_enabled = false
  private_dns_zone_id                 = "System"
  local_account_disabled              = true
  role_based_access_control_enabled   = true
  oidc_issuer_enabled                 = true
  workload_identity_enabled           = true
  azure_policy_enabled                = true
  image_cleaner_enabled               = true
  image_cleaner_interval_hours        = 48
  disk_encryption_set_id              = azurerm_disk_encryption_set.this.id
  tags                                = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.control_plane.id]
  }

  kubelet_identity {
    client_id                 = azurerm_user_assigned_identity.kubelet.client_id
    object_id                 = azurerm_user_assigned_identity.kubelet.principal_id
    user_assigned_identity_id = azurerm_user_assigned_identity.kubelet.id
  }

  azure_active_directory_role_based_access_control {
    tenant_id              = var.tenant_id
    azure_rbac_enabled     = true
    admin_group_object_ids = var.admin_group_object_ids
  }

  node_provisioning_profile {
    mode = "Manual"
  }

  # The Blob CSI driver mounts a storage container as a volume with a workload identity (the
  # DAG folder of Airflow on AKS); off unless asked for.
  storage_profile {
    blob_driver_enabled = var.blob_driver_enabled
  }

  default_node_pool {
    name                         = "system"
    temporary_name_for_rotation  = "systemtmp"
    vm_size                      = var.system_node_pool.vm_size
    auto_scaling_enabled         = true
    min_count                    = var.system_node_pool.min_count
    max_count                    = var.system_node_pool.max_count
    max_pods                     = 50
    only_critical_addons_enabled = true
    host_encryption_enabled      = true
    node_public_ip_enabled       = false
    os_disk_type                 = "Ephemeral"
    os_sku                       = "AzureLinux"
    vnet_subnet_id               = var.node_subnet_id
    zones                        = var.availability_zones
    tags                         = var.tags

    upgrade_settings {
      max_surge = "33%"
    }
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
    network_policy      = "cilium"
    load_balancer_sku   = "standard"
    outbound_type       = "loadBalancer"
  }

  oms_agent {
    log_analytics_workspace_id      = var.log_analytics_workspace_id
    msi_auth_for_monitoring_enabled = true
  }

  microsoft_defender {
    log_analytics_workspace_id = var.log_analytics_workspace_id
  }

  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m" # pragma: allowlist secret
  }

  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    duration    = 4
    day_of_week = "Sunday"
    start_time  = "02:00"
    utc_offset  = "+00:00"
  }

  depends_on = [
    azurerm_role_assignment.control_plane_network,
    azurerm_role_assignment.control_plane_kubelet,
    azurerm_role_assignment.disk_encryption_key,
  ]
}

resource "azurerm_kubernetes_cluster_node_pool" "workloads" {
  name                        = "workloads"
  temporary_name_for_rotation = "worktmp"
  kubernetes_cluster_id       = azurerm_kubernetes_cluster.this.id
  mode                        = "User"
  vm_size                     = var.workload_node_pool.vm_size
  auto_scaling_enabled        = true
  min_count                   = var.workload_node_pool.min_count
  max_count                   = var.workload_node_pool.max_count
  max_pods                    = 50
  host_encryption_enabled     = true
  node_public_ip_enabled      = false
  os_disk_type                = "Ephemeral"
  os_sku                      = "AzureLinux"
  vnet_subnet_id              = var.node_subnet_id
  zones                       = var.availability_zones
  tags                        = var.tags

  upgrade_settings {
    max_surge = "33%"
  }
}

# Control-plane audit logs (who did what through the API server).
resource "azurerm_monitor_diagnostic_setting" "cluster" {
  name                           = "to-log-analytics"
  target_resource_id             = azurerm_kubernetes_cluster.this.id
  log_analytics_workspace_id     = var.log_analytics_workspace_id
  log_analytics_destination_type = "Dedicated"

  enabled_log {
    category = "kube-audit-admin"
  }

  enabled_log {
    category = "kube-apiserver"
  }

  enabled_log {
    category = "guard"
  }

  enabled_log {
    category = "cluster-autoscaler"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
