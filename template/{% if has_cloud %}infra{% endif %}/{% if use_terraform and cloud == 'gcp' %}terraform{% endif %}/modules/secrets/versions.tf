# Provider versions are pinned exactly in the root modules (envs/*/versions.tf).
terraform {
  required_version = ">= 1.11.0"

  required_providers {
    google = {
      source = "hashicorp/google"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}
