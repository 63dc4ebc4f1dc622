"""The engine port: the few operations the features step needs from a dataframe engine.

The step's logic is defined once, engine-free: the raw contract and its quarantine rules
(``schema``, derived from ``contracts.CustomerRecord``), the derived features
(``contracts.features.derived_columns``) and the run itself (``pipeline``). ``engine.ENGINE``
evaluates them on the engine chosen when the project was generated (pandas, polars or Spark);
``docs/adr/0017-processing-engine.md`` says why.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pandas as pd

from contracts import FEATURE_COLUMNS, LABEL_COLUMN
from contracts.features import ID_COLUMN
from contracts.storage import LakePath

# The feature table's columns, in order: the parquet contract training and monitoring read.
OUTPUT_COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURE_COLUMNS, LABEL_COLUMN)
REASON_COLUMN = "reason"

Frame = TypeVar("Frame")


@dataclass(frozen=True)
class Split(Generic[Frame]):
    """Valid rows typed per the contract, and every other input row with its ``reason``."""

    valid: Frame
    rejected: Frame
    rows_valid: int
    rows_rejected: int
    # How often each individual failure occurred (a row can have several).
    reason_counts: dict[str, int]

    @property
    def rows_in(self) -> int:
        return self.rows_valid + self.rows_rejected

    @property
    def rejected_fraction(self) -> float:
        return self.rows_rejected / self.rows_in if self.rows_in else 0.0


class Engine(Protocol[Frame]):
    """What an engine provides. Frames stay in the engine between ``read_parquet`` and
    ``write_parquet``; pandas frames cross the port only in tests (``from_pandas``,
    ``to_pandas``)."""

    name: str

    def read_parquet(self, path: LakePath) -> Frame:
        """The parquet file at ``path``; ``contracts.storage.TableError`` when unreadable."""
        ...

    def count(self, frame: Frame) -> int: ...

    def split(self, raw: Frame) -> Split[Frame]:
        """Validate every row against ``schema.RAW_SCHEMA``; no row is dropped."""
        ...

    def feature_table(self, valid: Frame, key: bytes) -> Frame:
        """``OUTPUT_COLUMNS`` of the valid rows: derived features added, ids pseudonymised."""
        ...

    def write_parquet(self, frame: Frame, path: Path) -> None:
        """Write ``frame`` as one parquet file at the local ``path`` (callers make it atomic)."""
        ...

    def from_pandas(self, frame: pd.DataFrame) -> Frame: ...

    def to_pandas(self, frame: Frame) -> pd.DataFrame: ...
