"""The one exception type the library raises for problems a user can fix."""

from __future__ import annotations


class ScaffoldError(Exception):
    """A one-line, user-facing failure. ``exit_code`` 2 means bad usage, 1 a failed operation."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
        super().__init__(first_line)
        self.message = first_line
        self.exit_code = exit_code


class UsageError(ScaffoldError):
    """Bad input: an unknown option, an invalid answer, a destination we must not touch."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)
