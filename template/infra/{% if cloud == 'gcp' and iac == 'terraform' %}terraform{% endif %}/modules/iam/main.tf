# Identities: one Google service account per service with access to exactly what it uses,
# Kubernetes ServiceAccounts bound to them through GKE Workload Identity, and the CI
# identity that CI reaches through Workload Identity Federation (OIDC, no keys anywhere).
resource "google_service_account" "workloads" {
  for_each = var.services

  project      = var.project_id
  account_id   = "${each.key}-${var.environment}"
  display_name = "${each.key} (${var.environment})"
  description  = "Runtime identity of the ${each.key} service"
}

resource "google_storage_bucket_iam_member" "lake" {
  for_each = var.services

  bucket = var.data_lake_bucket
  role   = each.value.lake_role
  member = google_service_account.workloads[each.key].member
}

resource "google_service_account_iam_member" "kubernetes" {
  for_each = var.kubernetes_service_accounts

  service_account_id = google_service_account.workloads[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${each.value}]"
}

# ---------------------------------------------------------------- CI federation
resource "google_iam_workload_identity_pool" "ci" {
  project                   = var.project_id
  workload_identity_pool_id = "ci-${var.environment}"
  display_name              = "CI (${var.environment})"
  description               = "Short-lived OIDC tokens of the CI system"
}

resource "google_iam_workload_identity_pool_provider" "ci" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
  workload_identity_pool_provider_id = var.ci_oidc.provider_id
  display_name                       = var.ci_oidc.display_name
  attribute_mapping                  = var.ci_oidc.attribute_mapping
  attribute_condition                = var.ci_oidc.attribute_condition

  oidc {
    issuer_uri        = var.ci_oidc.issuer_uri
    allowed_audiences = var.ci_oidc.allowed_audiences
    jwks_json         = var.ci_oidc.jwks_json
  }
}

resource "google_service_account" "ci" {
  project      = var.project_id
  account_id   = "ci-deployer-${var.environment}"
  display_name = "CI deployer (${var.environment})"
  description  = "Pushes images and rolls out releases; impersonated through Workload Identity Federation only"
}

resource "google_service_account_iam_member" "ci_federation" {
  service_account_id = google_service_account.ci.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/${var.ci_principal}"
}

resource "google_project_iam_member" "ci" {
  #checkov:skip=CKV_GCP_49:CI applies this configuration, which declares service accounts and their IAM; its federation condition admits only this repository's protected CI environments.
  for_each = toset(var.ci_project_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.ci.member
}

# Deploying a Cloud Run revision or job runs it as the runtime identity: CI must be allowed
# to act as those service accounts, and only those.
resource "google_service_account_iam_member" "ci_act_as" {
  for_each = var.ci_acts_as_workloads ? var.services : {}

  service_account_id = google_service_account.workloads[each.key].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.ci.member
}

# CI plans and applies: it reads the remote state and writes it and its lock object, when the
# state bucket lives outside this project (a seed project) and project roles do not reach it.
resource "google_storage_bucket_iam_member" "ci_state" {
  count = var.terraform_state_bucket == "" ? 0 : 1

  bucket = var.terraform_state_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.ci.member
}
