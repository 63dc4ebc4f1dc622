# Cloud Run v2: `serving` as a service reachable only through the internal network or the
# external HTTPS load balancer below, the batch stages as jobs. Every workload runs as its own
# service account, egresses through the VPC (Direct VPC egress) and is encrypted with CMEK.
# The services read and write the lake through the Cloud Storage API (APP_LAKE_URI), limited
# to their own prefixes by IAM; only the MLflow store (mlflow/ in the bucket) is a volume.
#
# Terraform creates each workload once with a bootstrap image; `make deploy` rolls out the
# real image (gcloud run deploy / jobs update), so Terraform ignores the image afterwards.
locals {
  common_env = merge(var.environment_variables, {
    APP_ENVIRONMENT = "production"
    APP_DATA_DIR    = "/app/data"
    APP_LAKE_URI    = "gs://${var.data_lake_bucket}/lake"
    APP_REPORTS_URI = "gs://${var.data_lake_bucket}/reports"
  })
}

resource "google_cloud_run_v2_service" "serving" {
  project             = var.project_id
  name                = "${var.name}-serving"
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  # Behind the API gateway, requests come from Google's edge rather than a load balancer, so
  # ingress is open but the IAM invoker check stays on: only the gateway's identity (in
  # invoker_members) holds run.invoker. Otherwise the HTTPS load balancer (Cloud Armor, TLS
  # policy) is the only way in from outside. Either way the API authenticates every
  # prediction with its API key.
  ingress              = length(var.invoker_members) > 0 ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  invoker_iam_disabled = var.serving_domain != ""

  template {
    service_account                  = var.service_accounts["serving"]
    encryption_key                   = var.kms_key_id
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.serving.concurrency
    timeout                          = "30s"

    scaling {
      min_instance_count = var.serving.min_instances
      max_instance_count = var.serving.max_instances
    }

    vpc_access {
      egress = "ALL_TRAFFIC"

      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnet_id
      }
    }

    volumes {
      name = "mlflow"

      gcs {
        bucket        = var.data_lake_bucket
        read_only     = true
        mount_options = ["only-dir=mlflow"]
      }
    }

    containers {
      image = var.bootstrap_image

      ports {
        container_port = 8000
      }

      resources {
        limits = {
          cpu    = var.serving.cpu
          memory = var.serving.memory
        }
      }

      dynamic "env" {
        for_each = local.common_env
        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name = "APP_API_KEY"

        value_source {
          secret_key_ref {
            secret  = var.api_key_secret_id
            version = "latest"
          }
        }
      }

      volume_mounts {
        name       = "mlflow"
        mount_path = "/app/data/mlflow"
      }

      startup_probe {
        http_get {
          path = "/healthz"
          port = 8000
        }
      }

      liveness_probe {
        http_get {
          path = "/healthz"
          port = 8000
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      template[0].containers[0].image,
      client,
      client_version,
    ]
  }
}

# Keyed by position, not by member: the gateway's service account e-mail is unknown until apply.
resource "google_cloud_run_v2_service_iam_member" "invokers" {
  count = length(var.invoker_members)

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.serving.name
  role     = "roles/run.invoker"
  member   = var.invoker_members[count.index]
}

resource "google_cloud_run_v2_job" "batch" {
  for_each = var.jobs

  project             = var.project_id
  name                = "${var.name}-${each.key}"
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account       = var.service_accounts[each.key]
      encryption_key        = var.kms_key_id
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"
      timeout               = each.value.timeout
      max_retries           = each.value.max_retries

      vpc_access {
        egress = "ALL_TRAFFIC"

        network_interfaces {
          network    = var.network_id
          subnetwork = var.subnet_id
        }
      }

      # Only training writes the MLflow store; the other stages never see it.
      dynamic "volumes" {
        for_each = each.key == "training" ? ["mlflow"] : []

        content {
          name = volumes.value

          gcs {
            bucket        = var.data_lake_bucket
            read_only     = false
            mount_options = ["only-dir=mlflow"]
          }
        }
      }

      containers {
        image = var.bootstrap_job_image

        resources {
          limits = {
            cpu    = each.value.cpu
            memory = each.value.memory
          }
        }

        dynamic "env" {
          for_each = local.common_env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "volume_mounts" {
          for_each = each.key == "training" ? ["mlflow"] : []

          content {
            name       = volume_mounts.value
            mount_path = "/app/data/mlflow"
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      template[0].template[0].containers[0].image,
      client,
      client_version,
    ]
  }
}
