"""Before rendering: are the tools the printed next steps need here, and what to print?

`aiarch new` ends with next steps (`git init && make install && make pipeline && make test`).
uv is a dependency of the kit, so `pip install aiarch-scaffold` brings it, but into the kit's
environment: when that environment is not activated, uv is not on PATH, and the generated
Makefile (``UV ?= uv``) is told where it is through ``export UV=...``. git and make are
system tools: when one is missing, nothing is rendered and the error says what to install.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiarch_scaffold.errors import ScaffoldError

SYSTEM_TOOLS: tuple[str, ...] = ("git", "make")
NEXT_STEPS: tuple[str, ...] = ("git init && make install && make pipeline && make test",)
# REST's route is the project's (copier.yml computes ``predict_path`` per use case).
REST_SERVE_STEP = (
    "make serve   # then POST {predict_path} with an X-API-Key header (curl example in README.md)"
)
# How to call the served API, per api_style other than REST.
SERVE_STEPS: dict[str, str] = {
    "grpc": "make serve   # then call churn.serving.v1.PredictionService/Predict with "
    "x-api-key metadata (grpcurl example in README.md)",
    "graphql": "make serve   # then POST a query to /v1/graphql with an X-API-Key header "
    "(curl example in README.md)",
}

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class Toolchain:
    """Where uv is; ``uv_on_path`` False means the next steps must name it."""

    uv: str
    uv_on_path: bool


def kit_uv() -> str | None:
    """The uv binary installed with the kit (the `uv` package), wherever its scripts went."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def check_tools(
    which: Which = shutil.which, bundled_uv: Callable[[], str | None] = kit_uv
) -> Toolchain:
    """Raise one line naming every missing tool; otherwise say where uv is."""
    missing = [tool for tool in SYSTEM_TOOLS if which(tool) is None]
    on_path = which("uv")
    uv = on_path or bundled_uv()
    hints = []
    if missing:
        hints.append(f"{' and '.join(missing)} (e.g. `sudo apt-get install {' '.join(missing)}`)")
    if uv is None:
        missing.append("uv")
        hints.append("uv (`python -m pip install uv`)")
    if missing:
        names = " and ".join(missing)
        raise ScaffoldError(
            f"the next steps need {names}, not found on PATH: install {' and '.join(hints)}, "
            "or pass --skip-tool-check to create the project anyway; nothing was created"
        )
    assert uv is not None
    return Toolchain(uv=uv, uv_on_path=on_path is not None)


def next_steps(
    destination: Path,
    toolchain: Toolchain | None,
    api_style: str = "rest",
    *,
    predict_path: str,
) -> list[str]:
    """The commands to print after `aiarch new`, exactly as a user can paste them."""
    steps = [f"cd {shlex.quote(str(destination))}"]
    if toolchain is not None and not toolchain.uv_on_path:
        steps.append(f"export UV={shlex.quote(toolchain.uv)}   # the kit's uv; not on PATH")
    serve = SERVE_STEPS.get(api_style, REST_SERVE_STEP.format(predict_path=predict_path))
    return [*steps, *NEXT_STEPS, serve]


__all__ = ["NEXT_STEPS", "REST_SERVE_STEP", "Toolchain", "check_tools", "kit_uv", "next_steps"]
