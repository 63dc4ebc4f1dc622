"""The champion alias and the gate's verdict, the same for every use case."""

from dataclasses import dataclass

CHAMPION_ALIAS = "champion"


@dataclass(frozen=True)
class Champion:
    version: str
    metric: float | None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str
