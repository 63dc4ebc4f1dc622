"""Errors the CLI maps to exit codes instead of tracebacks."""

from contracts.cli import DataError


class TrainingInputError(DataError):
    """The feature table cannot be trained on; the user must fix the input (exit code 3)."""


class ExportError(RuntimeError):
    """The fitted pipeline has no faithful ONNX export; the version is not registered."""
