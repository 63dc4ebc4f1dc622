# Cloud Composer 3 runs the pipeline DAGs (orchestration/dags, docs/adr/0019-orchestration-airflow.md):
# private environment (no public IPs, workers in the project's private subnet), its data
# encrypted with the project's customer-managed key, its own service account limited to running
# the services' workloads, and Airflow's logs in Cloud Logging.
resource "google_service_account" "composer" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 19)}-airflow"
  display_name = "${var.name} Cloud Composer (pipeline DAGs)"
}

resource "google_project_iam_member" "worker" {
  #checkov:skip=CKV_GCP_49:roles/composer.worker on the environment's own service account is what Cloud Composer requires (project level only).
  project = var.project_id
  role    = "roles/composer.worker"
  member  = "serviceAccount:${google_service_account.composer.email}"
}

# GKE has no namespace-scoped IAM role: Kubernetes RBAC in the cluster narrows what this
# identity may do to the services' namespace.
resource "google_project_iam_member" "gke_pods" {
  count = var.gke ? 1 : 0

  project = var.project_id
  role    = "roles/container.developer"
  member  = "serviceAccount:${google_service_account.composer.email}"
}

resource "google_cloud_run_v2_job_iam_member" "execute" {
  for_each = toset(var.cloud_run_jobs)

  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = "serviceAccount:${google_service_account.composer.email}"
}

# processing=spark: the features task submits a Serverless Spark batch and waits for it. A
# custom role holds exactly what DataprocCreateBatchOperator calls (create the batch, poll its
# operation, read its end state, cancel it when the task is killed), and actAs is granted on the
# batches' own service account only, so the DAGs cannot run a batch as any other identity.
resource "google_project_iam_custom_role" "spark_batches" {
  count = var.spark_batches ? 1 : 0

  project     = var.project_id
  role_id     = "${replace(var.name, "-", "_")}_airflow_spark_batches"
  title       = "${var.name} Airflow: submit the features batch"
  description = "Create a Serverless for Apache Spark batch and wait for it (Cloud Composer's DAGs)."
  permissions = [
    "dataproc.batches.create",
    "dataproc.batches.get",
    "dataproc.operations.get",
    "dataproc.operations.cancel",
  ]
}

resource "google_project_iam_member" "spark_batches" {
  count = var.spark_batches ? 1 : 0

  project = var.project_id
  role    = google_project_iam_custom_role.spark_batches[0].name
  member  = google_service_account.composer.member
}

resource "google_service_account_iam_member" "spark_act_as" {
  count = var.spark_batches ? 1 : 0

  service_account_id = var.spark_service_account
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.composer.member
}

resource "google_composer_environment" "this" {
  project = var.project_id
  region  = var.region
  name    = "${var.name}-airflow"
  labels  = var.labels

  config {
    environment_size           = var.environment_size
    enable_private_environment = true

    software_config {
      image_version = var.image_version
      env_variables = var.pipeline_environment

      airflow_config_overrides = {
        core-load_examples = "False"
      }
    }

    node_config {
      network         = var.network_id
      subnetwork      = var.subnet_id
      service_account = google_service_account.composer.email
    }

    encryption_config {
      kms_key_name = var.kms_key_id
    }
  }

  depends_on = [google_project_iam_member.worker]
}
