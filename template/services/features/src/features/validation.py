"""Splitting a raw batch into rows fit for features and rows for quarantine, with reasons."""

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from features.port import REASON_COLUMN
from features.schema import BOOLEAN_COLUMNS, INTEGER_COLUMNS, RAW_COLUMNS, RAW_SCHEMA

__all__ = ["REASON_COLUMN", "ValidationOutcome", "split_batch"]


@dataclass(frozen=True)
class ValidationOutcome:
    """Valid rows typed per the contract, and every other input row with why it failed."""

    valid: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def rows_in(self) -> int:
        return len(self.valid) + len(self.rejected)

    @property
    def rejected_fraction(self) -> float:
        return len(self.rejected) / self.rows_in if self.rows_in else 0.0

    def reason_counts(self) -> dict[str, int]:
        """How often each individual failure occurred (a row can have several)."""
        reasons = self.rejected[REASON_COLUMN].str.split("; ").explode()
        return {str(reason): int(count) for reason, count in reasons.value_counts().items()}


def _label(schema_context: object, column: object, check: object, failure_case: object) -> str:
    """``"<column>: <check>"``, the column being the one that failed."""
    if schema_context == "DataFrameSchema":
        # Frame-level failure such as a missing column: pandera names the column in the case.
        return f"{failure_case}: {check}"
    return f"{column}: {check}"


def _failing_rows(failure_cases: pd.DataFrame, rows: pd.Index) -> dict[int, set[str]]:
    """Reasons per failing row label of one validation pass.

    Failures without a row index come in two kinds. Frame-level ones (a missing column) doom
    every row. Column-level ones are usually a check that crashed on values which also failed
    coercion in some rows (``"lots" >= 0``); they are deferred while row-level failures exist,
    because the next pass, without those rows, evaluates the check properly. Only when nothing
    row-level is left do they condemn the whole remaining batch.
    """
    per_row: dict[int, set[str]] = defaultdict(set)
    frame_level: set[str] = set()
    column_level: set[str] = set()
    for case in failure_cases.itertuples(index=False):
        label = _label(case.schema_context, case.column, case.check, case.failure_case)
        if not pd.isna(case.index):
            per_row[int(case.index)].add(label)
        elif case.schema_context == "DataFrameSchema":
            frame_level.add(label)
        else:
            column_level.add(label)
    whole_batch = frame_level or (column_level if not per_row else set())
    for row in rows if whole_batch else ():
        per_row[int(row)] |= whole_batch
    if not per_row:
        raise RuntimeError(f"validation failed without failure cases: {failure_cases}")
    return per_row


def _typed(validated: pd.DataFrame) -> pd.DataFrame:
    # The schema checked integrality and booleans without lossy coercion; now cast for real.
    out = validated.loc[:, list(RAW_COLUMNS)].copy()
    for column in INTEGER_COLUMNS:
        out[column] = out[column].astype("int64")
    for column in BOOLEAN_COLUMNS:
        out[column] = out[column].astype(bool)
    return out.reset_index(drop=True)


def split_batch(raw: pd.DataFrame, schema: pa.DataFrameSchema = RAW_SCHEMA) -> ValidationOutcome:
    """Validate ``raw`` lazily (collecting every failure) and split it; no row is dropped.

    Failing rows are set aside and the rest validated again until it passes, so a check that
    could not run in one pass (see ``_failing_rows``) still judges the remaining rows. Each
    pass removes at least one row, which bounds the loop; clean batches take one pass.
    """
    frame = raw.reset_index(drop=True)
    reasons: dict[int, set[str]] = defaultdict(set)
    remaining = frame
    validated: pd.DataFrame | None = None
    while validated is None and not remaining.empty:
        try:
            validated = schema.validate(remaining, lazy=True)
        except SchemaErrors as errors:
            failed = _failing_rows(errors.failure_cases, remaining.index)
            for row, labels in failed.items():
                reasons[row] |= labels
            remaining = remaining.drop(index=list(failed))

    if validated is None:
        # Nothing survived; an empty frame of the right dtypes keeps downstream code uniform.
        empty = pd.DataFrame({column: pd.Series(dtype=object) for column in RAW_COLUMNS})
        validated = schema.validate(empty)
    rows = sorted(reasons)
    rejected = frame.loc[rows].assign(
        **{REASON_COLUMN: pd.Series(["; ".join(sorted(reasons[r])) for r in rows], index=rows)}
    )
    if not rows:
        rejected[REASON_COLUMN] = rejected[REASON_COLUMN].astype("str")
    return ValidationOutcome(valid=_typed(validated), rejected=rejected.reset_index(drop=True))
