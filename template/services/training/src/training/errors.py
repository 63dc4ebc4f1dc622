"""Errors the CLI maps to exit codes instead of tracebacks."""


class TrainingInputError(Exception):
    """The feature table cannot be trained on; the user must fix the input (exit code 2)."""
