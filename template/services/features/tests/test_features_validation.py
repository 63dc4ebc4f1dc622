from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from features.validation import REASON_COLUMN, split_batch

MakeCustomers = Callable[[int], pd.DataFrame]


def test_valid_batch_passes_through_whole_and_typed(make_customers: MakeCustomers) -> None:
    raw = make_customers(40)
    outcome = split_batch(raw)

    assert len(outcome.valid) == 40
    assert outcome.rejected.empty
    assert REASON_COLUMN in outcome.rejected.columns
    pd.testing.assert_frame_equal(outcome.valid, raw, check_dtype=False)
    assert outcome.valid["tenure_months"].dtype == "int64"
    assert outcome.valid["support_tickets"].dtype == "int64"
    assert outcome.valid["churned"].dtype == bool


@pytest.mark.parametrize(
    ("column", "bad_value", "expected_reason"),
    [
        ("monthly_spend", -5.0, "monthly_spend: greater_than_or_equal_to(0)"),
        ("engagement_score", np.nan, "engagement_score: not_nullable"),
        ("engagement_score", 1.5, "engagement_score: less_than_or_equal_to(1)"),
        ("channel", "fax", "channel: isin"),
        ("region", None, "region: not_nullable"),
        ("tenure_months", 601, "tenure_months: less_than_or_equal_to(600)"),
        ("support_tickets", -1, "support_tickets: greater_than_or_equal_to(0)"),
        ("customer_id", "", "customer_id: str_length"),
    ],
)
def test_each_kind_of_bad_value_is_quarantined_with_its_reason(
    column: str, bad_value: object, expected_reason: str, make_customers: MakeCustomers
) -> None:
    raw = make_customers(20)
    raw[column] = raw[column].astype(object)
    raw.loc[7, column] = bad_value

    outcome = split_batch(raw)

    assert len(outcome.valid) == 19
    assert len(outcome.rejected) == 1
    rejected = outcome.rejected.iloc[0]
    assert rejected["customer_id"] == raw.loc[7, "customer_id"] or column == "customer_id"
    assert rejected[REASON_COLUMN].startswith(expected_reason)
    assert raw.loc[7, "customer_id"] not in set(outcome.valid["customer_id"])


def test_every_row_of_a_duplicated_id_is_quarantined(make_customers: MakeCustomers) -> None:
    raw = make_customers(20)
    raw.loc[5, "customer_id"] = raw.loc[4, "customer_id"]

    outcome = split_batch(raw)

    assert len(outcome.valid) == 18
    assert outcome.rejected["customer_id"].tolist() == ["C0004", "C0004"]
    assert set(outcome.rejected[REASON_COLUMN]) == {"customer_id: field_uniqueness"}


def test_wrong_types_are_rejected_per_row_without_lossy_coercion(
    make_customers: MakeCustomers,
) -> None:
    raw = make_customers(20)
    for column in ("tenure_months", "monthly_spend", "churned"):
        raw[column] = raw[column].astype(object)
    raw.loc[1, "tenure_months"] = 2.5  # would silently become 2 with a plain int cast
    raw.loc[2, "monthly_spend"] = "lots"
    raw.loc[3, "churned"] = "maybe"  # would silently become True with a plain bool cast
    raw.loc[4, "churned"] = None
    # Range checks cannot run on a column still holding "lots"; this row must be caught anyway.
    raw.loc[5, "monthly_spend"] = -3.0

    outcome = split_batch(raw)

    reasons = dict(
        zip(outcome.rejected["customer_id"], outcome.rejected[REASON_COLUMN], strict=True)
    )
    assert set(reasons) == {"C0001", "C0002", "C0003", "C0004", "C0005"}
    assert "tenure_months: integer_valued" in reasons["C0001"]
    assert "monthly_spend: coerce_dtype('float64')" in reasons["C0002"]
    assert "churned: isin" in reasons["C0003"]
    assert "churned: not_nullable" in reasons["C0004"]
    assert reasons["C0005"] == "monthly_spend: greater_than_or_equal_to(0)"
    assert outcome.valid["churned"].dtype == bool
    assert len(outcome.valid) == 15


def test_a_row_with_several_problems_lists_them_all(make_customers: MakeCustomers) -> None:
    raw = make_customers(10)
    raw.loc[2, "monthly_spend"] = -1.0
    raw.loc[2, "channel"] = "fax"

    outcome = split_batch(raw)

    assert outcome.rejected[REASON_COLUMN].tolist() == [
        "channel: isin(['web', 'mobile', 'store', 'partner']); "
        "monthly_spend: greater_than_or_equal_to(0)"
    ]
    assert outcome.reason_counts() == {
        "channel: isin(['web', 'mobile', 'store', 'partner'])": 1,
        "monthly_spend: greater_than_or_equal_to(0)": 1,
    }


def test_a_missing_column_quarantines_the_whole_batch(make_customers: MakeCustomers) -> None:
    raw = make_customers(10).drop(columns=["region"])

    outcome = split_batch(raw)

    assert outcome.valid.empty
    assert list(outcome.valid.columns)[-1] == "churned"
    assert len(outcome.rejected) == 10
    assert outcome.rejected_fraction == 1.0
    assert set(outcome.rejected[REASON_COLUMN]) == {"region: column_in_dataframe"}
