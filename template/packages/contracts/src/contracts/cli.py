"""What every service's command line shares: argument types, logging, settings, exit codes.

Every command reports a problem the way argparse reports a usage error: one
``<prog>: error: <message>`` line on stderr, without a traceback, and an exit code from
``ExitCode`` so a scheduler can tell "the check said no" from "the data is broken".
"""

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import date
from enum import IntEnum
from typing import TypeVar

from pydantic import ValidationError

from contracts.settings import Settings
from contracts.termination import Terminated, handle_termination


class ExitCode(IntEnum):
    """The exit codes of every command of every service; nothing else may be returned."""

    OK = 0
    # The step ran and its check said no: quality gate failed, too many rows rejected, drift.
    CHECK_FAILED = 1
    # Bad arguments or configuration (argparse's own code): fix the command line or APP_*.
    USAGE = 2
    # Input data missing, unreadable or corrupt, non-finite values, checksum or lineage mismatch.
    DATA_ERROR = 3
    # An output or a dependency is unavailable (disk, lake, registry); retrying may help.
    UNAVAILABLE = 4
    # A bug: the traceback is printed. Never 1, so a crash is not read as a failed check.
    INTERNAL_ERROR = 5
    # Stopped by a signal (128 + number, the shell convention): cleaned up, nothing half-written.
    INTERRUPTED = 130
    TERMINATED = 143


EXIT_OK = ExitCode.OK
EXIT_CHECK_FAILED = ExitCode.CHECK_FAILED
EXIT_USAGE = ExitCode.USAGE
# Kept for callers written before data errors had their own code.
EXIT_BAD_INPUT = ExitCode.USAGE
EXIT_DATA_ERROR = ExitCode.DATA_ERROR
EXIT_UNAVAILABLE = ExitCode.UNAVAILABLE
EXIT_INTERNAL_ERROR = ExitCode.INTERNAL_ERROR

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log every database migration and model registration at INFO.
NOISY_LOGGERS = ("mlflow", "alembic", "openlineage")

Number = TypeVar("Number", int, float)


class CommandError(Exception):
    """A problem the user can fix (arguments, configuration); one line, exit code 2."""


class DataError(Exception):
    """Input data that cannot be used: missing, corrupt, non-finite, or not matching its manifest
    or lineage; one line, exit code 3.
    """


class UnavailableError(Exception):
    """An output cannot be written or a dependency reached; one line, exit code 4."""


def iso_date(text: str) -> date:
    """Argument type: a ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def _argument_type(
    convert: Callable[[str], Number], accept: Callable[[Number], bool], requirement: str
) -> Callable[[str], Number]:
    """An argparse ``type=``: convert the text, then insist on ``accept``; argparse turns the
    ``ArgumentTypeError`` into ``<prog>: error: argument --x: <why>`` and exit code 2.
    """
    noun = "an integer" if convert is int else "a number"

    def parse(text: str) -> Number:
        try:
            value = convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from exc
        # Written as "not accept" so NaN, which fails every comparison, is rejected too.
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{requirement}, got {text}")
        return value

    return parse


fraction = _argument_type(float, lambda value: 0 <= value <= 1, "must be within [0, 1]")
# A held-out test size: neither split may be empty.
open_fraction = _argument_type(
    float, lambda value: 0 < value < 1, "must be between 0 and 1 (exclusive)"
)
positive_float = _argument_type(float, lambda value: value > 0, "must be > 0")
non_negative_float = _argument_type(float, lambda value: value >= 0, "must be >= 0")
positive_int = _argument_type(int, lambda value: value >= 1, "must be positive")
port = _argument_type(int, lambda value: 0 < value < 65536, "port must be 1-65535")


def configure_logging(level: int | str = logging.INFO, quiet: Iterable[str] = ()) -> None:
    """Log to stderr in one format for every service; ``quiet`` loggers (and the OpenLineage
    client, which logs its transport on every run) only from WARNING."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in ("openlineage", *quiet):
        logging.getLogger(name).setLevel(logging.WARNING)


def load_settings() -> Settings:
    """Settings from the ``APP_*`` environment; ``CommandError`` naming each invalid one."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            # Validators' own messages get a "Value error, " prefix that tells a user nothing.
            f"{_variable(error['loc'])}{error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors(include_url=False)
        )
        raise CommandError(f"invalid configuration: {problems}") from exc


def load_api_settings() -> Settings:
    """``load_settings`` for the API, which also needs a key in production."""
    settings = load_settings()
    try:
        settings.require_api_key()
    except ValueError as exc:
        raise CommandError(f"invalid configuration: {exc}") from exc
    return settings


def _variable(loc: tuple[int | str, ...]) -> str:
    # Model-level checks (e.g. production needs a key) have no field; they name it themselves.
    if not loc:
        return ""
    return f"APP_{str(loc[0]).upper()}: "


def report_error(prog: str, message: str) -> None:
    """Print ``message`` like argparse prints a usage error: ``<prog>: error: <message>``.

    Always one line: a library's multi-line message (pyarrow, pydantic) is joined with " | ".
    """
    text = " | ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"{prog}: error: {text}", file=sys.stderr)


def run_command(
    prog: str, command: Callable[[], int], expected: tuple[type[Exception], ...] = ()
) -> int:
    """Run ``command`` with SIGTERM/SIGINT handling and return its exit code (see ``ExitCode``).

    ``CommandError`` and the ``expected`` errors are usage errors (2), ``DataError`` data errors
    (3), ``UnavailableError`` and ``OSError`` unavailable outputs (4): each one line on stderr.
    A signal stops the command through its clean-up code (128 + signal). Anything else is a bug:
    its traceback is printed and the code is 5, never the 1 of a failed check.
    """
    usage_errors: tuple[type[Exception], ...] = (CommandError, *expected)
    try:
        with handle_termination():
            return command()
    except Terminated as exc:
        report_error(prog, f"{exc}; stopped after cleaning up")
        return exc.exit_code
    except DataError as exc:
        report_error(prog, str(exc))
        return EXIT_DATA_ERROR
    except usage_errors as exc:
        report_error(prog, str(exc))
        return EXIT_USAGE
    except (UnavailableError, OSError) as exc:
        report_error(prog, str(exc))
        return EXIT_UNAVAILABLE
    except Exception as exc:
        traceback.print_exc()
        report_error(prog, f"internal error ({type(exc).__name__}), please report it: {exc}")
        return EXIT_INTERNAL_ERROR
