"""Training service: fits the churn model, logs it to MLflow and promotes a champion."""

import os

# MLflow starts its telemetry client when first imported and would reach out to the network.
# Set before any submodule imports mlflow; an explicit user setting still wins.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
