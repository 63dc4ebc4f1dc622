"""What a logged model needs at load time, pinned to the versions training ran with.

Listing the requirements ourselves skips MLflow's inference, which re-imports the model in a
subprocess and may call `uv export`; pinning them makes the logged environment the one the
model was checked in. ``quiet`` mutes MLflow's environment warnings, which do not apply to a
uv environment (conda.yaml wants a pip version; uv environments have no pip).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version


def pinned_requirements(packages: tuple[str, ...]) -> list[str]:
    """``package==version`` of every installed package; the bare name of any other."""
    pins = []
    for package in packages:
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            pins.append(package)
    return pins


@contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Mute one logger for a call whose warnings do not apply to a uv environment."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
