# Provider versions are pinned exactly in the root modules (envs/*/versions.tf).
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    google = {
      source = "hashicorp/google"
    }
  }
}
