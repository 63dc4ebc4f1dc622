"""Serving service: the champion model behind an authenticated FastAPI endpoint."""

import os

# ONNX Runtime (1.32+) starts Microsoft's telemetry when imported: a device id and a SQLite event
# store under ~/.cache/Microsoft, and a thread that uploads them. Set before any submodule
# imports it; an explicit user setting still wins.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
