"""Where a raw batch comes from: a pluggable ``Source`` so real extracts can replace demo data."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from contracts.features import ID_COLUMN
from ingestion.schema import RAW_COLUMNS
from ingestion.synthetic import generate_customers, inject_invalid_rows


class SourceError(ValueError):
    """The source cannot be read as a customer batch (bad format or missing columns)."""


class Source(Protocol):
    """Anything that can produce one raw customer batch."""

    def describe(self) -> str:
        """Human-readable origin, recorded in the dataset manifest."""
        ...

    def load(self) -> pd.DataFrame:
        """The batch with exactly the ``RAW_COLUMNS`` columns, in that order."""
        ...


@dataclass(frozen=True)
class SyntheticSource:
    """Generated demo data; the same parameters always give the same rows."""

    n_rows: int
    seed: int
    drift: float = 0.0
    invalid_fraction: float = 0.0

    def describe(self) -> str:
        return (
            f"synthetic(n_rows={self.n_rows}, seed={self.seed}, drift={self.drift}, "
            f"invalid_fraction={self.invalid_fraction})"
        )

    def load(self) -> pd.DataFrame:
        frame = generate_customers(self.n_rows, self.seed, self.drift)
        return inject_invalid_rows(frame, self.invalid_fraction, self.seed)


_READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class FileSource:
    """An extract on disk (CSV or parquet), landed as-is: validation is the features step's job.

    Only the contract's columns are kept so the raw layer has one schema whatever the extract
    carries; missing columns are an error because no downstream step could recover them.
    """

    path: Path

    def __post_init__(self) -> None:
        # Fail before any work is done, with the formats we do support in the message.
        if self.path.suffix.lower() not in _READERS:
            supported = ", ".join(sorted(_READERS))
            raise SourceError(
                f"unsupported file type {self.path.suffix or '(none)'!r} for {self.path}; "
                f"expected one of: {supported}"
            )

    def describe(self) -> str:
        return f"file({self.path})"

    def load(self) -> pd.DataFrame:
        if not self.path.is_file():
            raise FileNotFoundError(f"source file not found: {self.path}")
        if _READERS[self.path.suffix.lower()] == "csv":
            # Ids stay text even when they look numeric (leading zeros matter); round_trip
            # keeps floats bit-identical to what was written.
            frame = pd.read_csv(self.path, dtype={ID_COLUMN: "str"}, float_precision="round_trip")
        else:
            frame = pd.read_parquet(self.path)
        missing = [column for column in RAW_COLUMNS if column not in frame.columns]
        if missing:
            raise SourceError(f"{self.path} lacks required columns: {', '.join(missing)}")
        return frame.loc[:, list(RAW_COLUMNS)].reset_index(drop=True)
