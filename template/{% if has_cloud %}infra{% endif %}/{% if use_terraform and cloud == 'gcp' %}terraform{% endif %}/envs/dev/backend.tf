# Remote state in Cloud Storage (versioned bucket, object-based locking). The bucket and
# prefix are given at init time, never committed:
#   terraform init -backend-config=backend.hcl   (copy backend.hcl.example)
terraform {
  backend "gcs" {}
}
