"""Graceful termination: SIGTERM and SIGINT become an exception, except in critical sections.

A scheduler stops a job with SIGTERM and kills it a grace period later. Turning the signal into
``Terminated`` lets context managers clean up on the way out (an MLflow run is ended FAILED, a
staging folder removed); ``deferred_termination`` keeps a short multi-step commit (register,
tag, promote) from being cut in half, then stops right after it.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Terminated(BaseException):
    """The process received SIGTERM or SIGINT.

    A ``BaseException`` so that ``except Exception`` clean-up code cannot swallow it, while
    ``finally`` blocks and context managers still run.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"terminated by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """The shell convention for death by signal: 128 + the signal number."""
        return 128 + self.signum


@dataclass
class _State:
    depth: int = 0
    pending: int | None = None


_state = _State()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state.depth:
        _state.pending = signum
        return
    raise Terminated(signum)


@contextmanager
def handle_termination() -> Iterator[None]:
    """Raise ``Terminated`` on SIGTERM/SIGINT during the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.depth, _state.pending = 0, None


@contextmanager
def deferred_termination() -> Iterator[None]:
    """Finish the block even if a termination signal arrives; raise ``Terminated`` after it."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
    if _state.depth == 0 and _state.pending is not None:
        signum, _state.pending = _state.pending, None
        raise Terminated(signum)
