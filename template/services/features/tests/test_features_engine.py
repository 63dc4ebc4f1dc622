"""The chosen engine (``features.engine``) against the documented definitions.

The pandas engine runs pandera's pandas backend (``features.validation``); other engines compile
the same schema to column expressions. Both must quarantine the same rows with the same reasons,
and compute the derived features exactly as ``contracts.features`` defines them.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from contracts.privacy import pseudonym
from features.engine import ENGINE
from features.port import OUTPUT_COLUMNS, REASON_COLUMN
from features.validation import split_batch

MakeCustomers = Callable[[int], pd.DataFrame]
KEY = b"k" * 32


def _split(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    outcome = ENGINE.split(ENGINE.from_pandas(raw))
    valid, rejected = ENGINE.to_pandas(outcome.valid), ENGINE.to_pandas(outcome.rejected)
    assert (outcome.rows_valid, outcome.rows_rejected) == (len(valid), len(rejected))
    return valid, rejected


def _reasons(rejected: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(zip(rejected["customer_id"], rejected[REASON_COLUMN], strict=True))


def test_derived_features_match_their_documented_definitions() -> None:
    # tickets_per_year = tickets / (max(tenure, 1) / 12); spend_per_engagement =
    # spend / (engagement + 0.05), by hand for three rows (docs/architecture.md).
    valid = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "tenure_months": [0, 24, 6],
            "monthly_spend": [10.0, 0.0, 99.0],
            "engagement_score": [0.45, 0.0, 0.95],
            "support_tickets": [2, 6, 0],
            "channel": ["web", "store", "mobile"],
            "region": ["north", "east", "west"],
            "churned": [True, False, False],
        }
    )

    table = ENGINE.to_pandas(ENGINE.feature_table(ENGINE.from_pandas(valid), KEY))

    assert tuple(table.columns) == OUTPUT_COLUMNS
    assert table["tickets_per_year"].tolist() == pytest.approx([24.0, 3.0, 0.0])
    assert table["spend_per_engagement"].tolist() == pytest.approx([20.0, 0.0, 99.0])
    # No customer id leaves the step, only its keyed pseudonym.
    assert table["customer_id"].tolist() == [pseudonym(c, KEY) for c in ("A", "B", "C")]
    assert table["tenure_months"].tolist() == [0, 24, 6]
    assert table["churned"].tolist() == [True, False, False]


def test_a_valid_batch_passes_whole_and_typed(make_customers: MakeCustomers) -> None:
    raw = make_customers(30)

    valid, rejected = _split(raw)

    assert rejected.empty
    pd.testing.assert_frame_equal(valid, raw, check_dtype=False)
    assert valid["tenure_months"].dtype == "int64"
    assert valid["churned"].dtype == bool


def test_bad_rows_get_the_reasons_the_pandera_schema_gives(make_customers: MakeCustomers) -> None:
    raw = make_customers(30)
    for column in ("channel", "region", "customer_id"):
        raw[column] = raw[column].astype(object)
    raw.loc[1, "monthly_spend"] = -5.0
    raw.loc[2, "engagement_score"] = np.nan
    raw.loc[3, "engagement_score"] = 1.5
    raw.loc[4, "channel"] = "fax"
    raw.loc[5, "region"] = None
    raw.loc[6, "tenure_months"] = 601
    raw.loc[7, "support_tickets"] = -1
    raw.loc[8, "customer_id"] = ""
    raw.loc[9, "customer_id"] = raw.loc[10, "customer_id"]
    raw.loc[11, ["monthly_spend", "channel"]] = [-1.0, "fax"]

    valid, rejected = _split(raw)
    reference = split_batch(raw)

    assert _reasons(rejected) == _reasons(reference.rejected)
    assert len(rejected) == 11  # rows 1 to 11: the two rows of the duplicated id included
    assert sorted(valid["customer_id"]) == sorted(reference.valid["customer_id"])
    # The rejected rows keep their raw values for inspection.
    assert rejected.set_index("customer_id").loc["C0001", "monthly_spend"] == -5.0


def test_a_column_of_the_wrong_type_is_judged_per_row(make_customers: MakeCustomers) -> None:
    raw = make_customers(10)
    # As a file from a sloppy source holds it: numbers and booleans as text.
    raw["monthly_spend"] = raw["monthly_spend"].astype(str)
    raw.loc[2, "monthly_spend"] = "lots"
    raw.loc[3, "tenure_months"] = 25  # integral: fine
    raw["tenure_months"] = raw["tenure_months"].astype(float)
    raw.loc[4, "tenure_months"] = 2.5  # would silently become 2 with a plain int cast

    valid, rejected = _split(raw)

    reasons = dict(_reasons(rejected))
    assert set(reasons) == {"C0002", "C0004"}
    # pandera on pandas also names the column's dtype here; every engine names the coercion.
    assert "monthly_spend: coerce_dtype('float64')" in reasons["C0002"]
    assert reasons["C0004"] == "tenure_months: integer_valued"
    assert valid["monthly_spend"].dtype == "float64"
    assert valid["tenure_months"].dtype == "int64"


def test_booleans_are_never_coerced_from_text(make_customers: MakeCustomers) -> None:
    raw = make_customers(5)
    raw["churned"] = raw["churned"].map({True: "True", False: "False"})

    valid, rejected = _split(raw)

    assert valid.empty
    assert set(rejected[REASON_COLUMN]) == {"churned: isin([True, False])"}


def test_a_missing_column_quarantines_the_whole_batch(make_customers: MakeCustomers) -> None:
    valid, rejected = _split(make_customers(8).drop(columns=["region"]))

    assert valid.empty
    assert list(valid.columns)[-1] == "churned"
    assert set(rejected[REASON_COLUMN]) == {"region: column_in_dataframe"}
    assert len(rejected) == 8
