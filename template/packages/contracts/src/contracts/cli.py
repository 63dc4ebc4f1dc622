"""What every service's command line shares: argument types, logging, settings, exit codes.

Every command reports a problem the user can fix the way argparse reports a usage error: one
``<prog>: error: <message>`` line on stderr and exit code 2, without a traceback.
"""

import argparse
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from pydantic import ValidationError

from contracts.settings import Settings

EXIT_OK = 0
# The code argparse exits with on bad arguments; bad input and configuration are the same kind
# of problem for a scheduler: retrying will not help until someone fixes something.
EXIT_BAD_INPUT = 2

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log every database migration and model registration at INFO.
NOISY_LOGGERS = ("mlflow", "alembic")

Number = TypeVar("Number", int, float)


class CommandError(Exception):
    """A problem the user can fix (input, configuration); reported in one line, exit code 2."""


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
    """Log to stderr in one format for every service; ``quiet`` loggers only from WARNING."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in quiet:
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


def _variable(loc: tuple[int | str, ...]) -> str:
    # Model-level checks (e.g. production needs a key) have no field; they name it themselves.
    if not loc:
        return ""
    return f"APP_{str(loc[0]).upper()}: "


def report_error(prog: str, message: str) -> None:
    """Print ``message`` like argparse prints a usage error: ``<prog>: error: <message>``."""
    print(f"{prog}: error: {message}", file=sys.stderr)


def run_command(
    prog: str, command: Callable[[], int], expected: tuple[type[Exception], ...] = ()
) -> int:
    """Run ``command`` and return its exit code; ``CommandError`` and the ``expected`` errors
    become one line on stderr and ``EXIT_BAD_INPUT``. Anything else is a bug: it propagates
    with its traceback.
    """
    handled: tuple[type[Exception], ...] = (CommandError, *expected)
    try:
        return command()
    except handled as exc:
        report_error(prog, str(exc))
        return EXIT_BAD_INPUT
