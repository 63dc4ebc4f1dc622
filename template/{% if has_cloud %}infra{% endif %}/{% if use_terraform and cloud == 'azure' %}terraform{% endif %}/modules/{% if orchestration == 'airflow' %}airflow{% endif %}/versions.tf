# Child module: the root module pins the provider version; this only names its source.
terraform {
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
    }
  }
}
