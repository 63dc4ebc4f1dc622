# A custom-mode VPC with one private subnet: no workload gets an external IP, Google APIs
# are reached through Private Google Access, the internet (egress only) through Cloud NAT.
resource "google_compute_network" "this" {
  project                         = var.project_id
  name                            = var.name
  auto_create_subnetworks         = false
  routing_mode                    = "REGIONAL"
  delete_default_routes_on_create = false
}

resource "google_compute_subnetwork" "private" {
  project                    = var.project_id
  name                       = "${var.name}-private"
  region                     = var.region
  network                    = google_compute_network.this.id
  ip_cidr_range              = var.subnet_cidr
  private_ip_google_access   = true
  private_ipv6_google_access = "ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE"

  dynamic "secondary_ip_range" {
    for_each = var.secondary_ranges
    content {
      range_name    = secondary_ip_range.key
      ip_cidr_range = secondary_ip_range.value
    }
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = var.flow_log_sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project_id
  name    = "${var.name}-router"
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = "${var.name}-nat"
  router                             = google_compute_router.this.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.private.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

locals {
  internal_ranges = concat([var.subnet_cidr], values(var.secondary_ranges), var.extra_internal_ranges)
}

# Default deny, both directions, logged: everything that is allowed is allowed below, by name.
resource "google_compute_firewall" "deny_all_ingress" {
  project   = var.project_id
  name      = "${var.name}-deny-all-ingress"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "deny_all_egress" {
  project   = var.project_id
  name      = "${var.name}-deny-all-egress"
  network   = google_compute_network.this.id
  direction = "EGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  destination_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "allow_internal_ingress" {
  project   = var.project_id
  name      = "${var.name}-allow-internal-ingress"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
  }

  allow {
    protocol = "udp"
  }

  allow {
    protocol = "icmp"
  }

  source_ranges = local.internal_ranges

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "allow_internal_egress" {
  project   = var.project_id
  name      = "${var.name}-allow-internal-egress"
  network   = google_compute_network.this.id
  direction = "EGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
  }

  allow {
    protocol = "udp"
  }

  allow {
    protocol = "icmp"
  }

  destination_ranges = local.internal_ranges

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Google Cloud load balancer health checks come from these ranges; without this rule the
# default deny marks every load-balanced backend in the VPC unhealthy.
resource "google_compute_firewall" "allow_health_checks" {
  project   = var.project_id
  name      = "${var.name}-allow-health-checks"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
  }

  source_ranges = ["35.191.0.0/16", "130.211.0.0/22"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# HTTPS only to the outside: Google APIs (Private Google Access) and registries via Cloud NAT.
resource "google_compute_firewall" "allow_https_egress" {
  project   = var.project_id
  name      = "${var.name}-allow-https-egress"
  network   = google_compute_network.this.id
  direction = "EGRESS"
  priority  = 1000

  allow {
    protocol = "tcp"
    ports    = ["443"]
  }

  destination_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
