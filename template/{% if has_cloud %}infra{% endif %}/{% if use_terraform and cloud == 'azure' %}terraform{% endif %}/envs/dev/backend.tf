# Remote state in Azure Storage with blob-lease locking. Settings are supplied at init time
# (partial configuration), so no account name, subscription or credential is in code:
#   terraform init -backend-config=backend.hcl   (copy backend.hcl.example to backend.hcl)
terraform {
  backend "azurerm" {}
}
