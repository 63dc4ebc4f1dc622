# Child module: the root module pins the provider version and points it at the workspace.
terraform {
  required_providers {
    databricks = {
      source = "databricks/databricks"
    }
  }
}
