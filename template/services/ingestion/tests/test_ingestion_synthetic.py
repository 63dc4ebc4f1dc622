import numpy as np
import pandas as pd
import pytest

from contracts import CHANNELS, CustomerRecord
from ingestion.schema import RAW_COLUMNS
from ingestion.synthetic import generate_customers, inject_invalid_rows


def _valid_mask(frame: pd.DataFrame) -> pd.Series:
    def ok(row: dict[str, object]) -> bool:
        try:
            CustomerRecord.model_validate(row)
        except ValueError:
            return False
        return True

    rows = frame.replace({np.nan: None}).to_dict("records")
    unique = ~frame["customer_id"].duplicated(keep=False)
    return pd.Series([ok(row) for row in rows], index=frame.index) & unique


def test_same_seed_gives_identical_rows_and_other_seed_does_not() -> None:
    first = generate_customers(500, seed=7)
    pd.testing.assert_frame_equal(first, generate_customers(500, seed=7))
    assert not first.equals(generate_customers(500, seed=8))


def test_rows_match_the_customer_record_contract() -> None:
    frame = generate_customers(1_000, seed=1)
    assert len(frame) == 1_000
    assert tuple(frame.columns) == RAW_COLUMNS
    assert frame["customer_id"].is_unique
    assert _valid_mask(frame).all()
    assert pd.api.types.is_integer_dtype(frame["tenure_months"])
    assert pd.api.types.is_integer_dtype(frame["support_tickets"])


def test_drift_shifts_the_distributions() -> None:
    base = generate_customers(5_000, seed=42)
    drifted = generate_customers(5_000, seed=42, drift=1.0)
    assert drifted["engagement_score"].mean() < base["engagement_score"].mean() - 0.05
    assert drifted["monthly_spend"].median() > base["monthly_spend"].median() * 1.3
    assert (drifted["channel"] == "mobile").mean() > (base["channel"] == "mobile").mean() + 0.15


def test_injected_invalid_rows_break_the_contract_and_leave_the_rest_intact() -> None:
    clean = generate_customers(1_000, seed=5)
    dirty = inject_invalid_rows(clean, fraction=0.02, seed=5)
    valid = _valid_mask(dirty)
    changed = (dirty.fillna(-999) != clean.fillna(-999)).any(axis=1)
    assert changed.sum() == 20
    # A duplicated id also taints the row it copies, so up to 4 extra rows are invalid.
    assert 20 <= (~valid).sum() <= 24
    assert not valid[changed].any()
    assert dirty.dtypes.equals(clean.dtypes)
    assert (dirty["channel"].isin(CHANNELS)).sum() == 1_000 - 4
    pd.testing.assert_frame_equal(dirty, inject_invalid_rows(clean, fraction=0.02, seed=5))


def test_zero_invalid_fraction_changes_nothing() -> None:
    clean = generate_customers(200, seed=5)
    pd.testing.assert_frame_equal(inject_invalid_rows(clean, fraction=0.0, seed=5), clean)


@pytest.mark.parametrize("drift", [-0.1, 1.5])
def test_out_of_range_drift_is_rejected(drift: float) -> None:
    with pytest.raises(ValueError, match="drift"):
        generate_customers(100, seed=1, drift=drift)
