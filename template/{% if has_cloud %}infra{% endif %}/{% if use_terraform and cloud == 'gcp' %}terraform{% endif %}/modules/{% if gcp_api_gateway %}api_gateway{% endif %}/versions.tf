# Provider versions are pinned exactly in the root modules (envs/*/versions.tf). API Gateway
# resources exist in the google-beta provider only.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    google = {
      source = "hashicorp/google"
    }
    google-beta = {
      source = "hashicorp/google-beta"
    }
  }
}
