"""The lifecycle as a Kubeflow Pipelines v2 pipeline (orchestration=kubeflow)."""
