"""Training service: fits the model, logs it to MLflow and promotes a champion."""

import os

# MLflow starts its telemetry client when first imported and would reach out to the network.
# Set before any submodule imports mlflow; an explicit user setting still wins.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# ONNX Runtime (1.32+) starts Microsoft's telemetry when imported: a device id and a SQLite event
# store under ~/.cache/Microsoft, and a thread that uploads them. A process forked while that
# thread holds a lock hangs (training's crash-safety tests fork). Off unless set otherwise.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
