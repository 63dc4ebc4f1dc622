# Remote state in S3, configured at init time from backend.hcl (copy backend.hcl.example):
#   terraform init -backend-config=backend.hcl
# Nothing account-specific lives in code.
terraform {
  backend "s3" {}
}
