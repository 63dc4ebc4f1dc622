# Regional private GKE Standard cluster: nodes without external IPs, control plane reachable
# on its private endpoint (and, when enabled, the IAM-guarded DNS endpoint), Workload
# Identity, Shielded nodes with Secure Boot, Kubernetes secrets encrypted with Cloud KMS.

# Nodes run as a dedicated service account that can only write logs and metrics and pull
# images, never as the Compute Engine default service account (Editor on the project).
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "gke-nodes-${var.environment}"
  display_name = "GKE nodes (${var.environment})"
  description  = "Node identity of ${var.name}: logs, metrics and image pulls only"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

# The identity that applies this configuration creates node pools that run as this account.
resource "google_service_account_iam_member" "nodes_deployer" {
  for_each = var.deployer_members

  service_account_id = google_service_account.nodes.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_24:PodSecurityPolicy was removed in Kubernetes 1.25; Pod Security Admission (namespace labels) replaces it.
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Workspace/Cloud Identity domain the template cannot assume; set authenticator_groups_config when you have one.
  project  = var.project_id
  name     = var.name
  location = var.region

  network         = var.network_id
  subnetwork      = var.subnet_id
  networking_mode = "VPC_NATIVE"

  # The default pool cannot be configured like the managed pool below; it is removed at once.
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = var.deletion_protection

  # environment, project, owner, ... come from the provider's default_labels.
  resource_labels = {
    component = "gke"
  }

  release_channel {
    channel = var.release_channel
  }

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = var.enable_private_endpoint
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block

    master_global_access_config {
      enabled = false
    }
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false

    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value
        display_name = cidr_blocks.key
      }
    }
  }

  # CI and operators reach the control plane through its DNS name, authorised by IAM
  # (container.clusters.connect), without a public IP or an allowlist of runner addresses.
  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = var.enable_dns_endpoint
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  database_encryption {
    state    = "ENCRYPTED"
    key_name = var.kms_key_id
  }

  enable_shielded_nodes       = true
  enable_legacy_abac          = false
  enable_intranode_visibility = true

  network_policy {
    enabled  = true
    provider = "CALICO"
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  addons_config {
    network_policy_config {
      disabled = false
    }

    http_load_balancing {
      disabled = false
    }

    # Lets pods mount the data lake bucket as APP_DATA_DIR through their Workload Identity.
    gcs_fuse_csi_driver_config {
      enabled = true
    }
  }

  logging_service    = "logging.googleapis.com/kubernetes"
  monitoring_service = "monitoring.googleapis.com/kubernetes"

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]

    managed_prometheus {
      enabled = true
    }
  }

  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }

  maintenance_policy {
    recurring_window {
      start_time = "2024-01-06T02:00:00Z"
      end_time   = "2024-01-06T06:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    }
  }

  # Only used while the default pool exists for a moment; mirrors the managed pool.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    ignore_changes = [node_config]
  }

  depends_on = [google_project_iam_member.nodes]
}

resource "google_container_node_pool" "default" {
  project  = var.project_id
  name     = "default"
  location = var.region
  cluster  = google_container_cluster.this.name

  initial_node_count = var.node_count_min

  autoscaling {
    min_node_count = var.node_count_min
    max_node_count = var.node_count_max
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type      = var.machine_type
    disk_type         = "pd-balanced"
    disk_size_gb      = var.disk_size_gb
    image_type        = "COS_CONTAINERD"
    boot_disk_kms_key = var.kms_key_id
    service_account   = google_service_account.nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels   = var.labels
    tags              = ["${var.name}-nodes"]

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    ignore_changes = [initial_node_count]
  }
}
