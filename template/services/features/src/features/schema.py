"""The pandera schema of a raw customer batch, derived from ``contracts.CustomerRecord``.

Deriving it (instead of restating ranges and categories) keeps validation in lock-step with the
contract the API and ingestion use: a changed bound or a new channel needs one edit, not two.
"""

from collections.abc import Callable
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pandera.pandas as pa
from pydantic.fields import FieldInfo

from contracts import LABEL_COLUMN, CustomerRecord
from contracts.features import ID_COLUMN

# Identifier first and label last, the layout ingestion writes.
RAW_COLUMNS: tuple[str, ...] = (
    ID_COLUMN,
    *(name for name in CustomerRecord.model_fields if name not in (ID_COLUMN, LABEL_COLUMN)),
    LABEL_COLUMN,
)
INTEGER_COLUMNS: tuple[str, ...] = tuple(
    name for name, field in CustomerRecord.model_fields.items() if field.annotation is int
)
BOOLEAN_COLUMNS: tuple[str, ...] = tuple(
    name for name, field in CustomerRecord.model_fields.items() if field.annotation is bool
)


# pydantic keeps ``Field(ge=..., max_length=...)`` as annotated-types objects; reading their
# attributes avoids depending on annotated-types directly.
_BOUND_CHECKS: tuple[tuple[str, Callable[[Any], pa.Check]], ...] = (
    ("ge", lambda value: pa.Check.ge(value)),
    ("gt", lambda value: pa.Check.gt(value)),
    ("le", lambda value: pa.Check.le(value)),
    ("lt", lambda value: pa.Check.lt(value)),
    ("min_length", lambda value: pa.Check.str_length(min_value=value)),
    ("max_length", lambda value: pa.Check.str_length(max_value=value)),
)


def _bound_checks(field: FieldInfo) -> list[pa.Check]:
    return [
        make(getattr(constraint, attribute))
        for constraint in field.metadata
        for attribute, make in _BOUND_CHECKS
        if getattr(constraint, attribute, None) is not None
    ]


def _is_integral(series: Any) -> Any:
    return series % 1 == 0


def _column(name: str, field: FieldInfo) -> pa.Column:
    annotation = field.annotation
    if get_origin(annotation) in (Union, UnionType):
        raise TypeError(f"optional field {name!r} is not supported in the raw schema")
    checks = _bound_checks(field)
    if annotation is bool:
        # No coercion: pandas casts None to False and "x" to True, which would forge labels.
        return pa.Column(checks=[pa.Check.isin([True, False])], nullable=False)
    if annotation is int:
        # Validated as float so a 2.5 is reported instead of being truncated to 2 by coercion;
        # the pipeline casts the valid rows to int64 afterwards.
        integral = pa.Check(_is_integral, name="integer_valued")
        return pa.Column("float64", checks=[integral, *checks], coerce=True, nullable=False)
    if annotation is float:
        return pa.Column("float64", checks=checks, coerce=True, nullable=False)
    if get_origin(annotation) is Literal:
        allowed = [str(value) for value in get_args(annotation)]
        return pa.Column(str, checks=[pa.Check.isin(allowed), *checks], coerce=True)
    if annotation is str:
        unique = name == ID_COLUMN
        # Every row sharing a duplicated id is reported: with two versions of a customer
        # nothing tells which one is right, so neither is trusted.
        return pa.Column(
            str,
            checks=checks,
            coerce=True,
            nullable=False,
            unique=unique,
            report_duplicates="all",
        )
    raise TypeError(f"no raw-schema rule for field {name!r} of type {annotation!r}")


def build_raw_schema() -> pa.DataFrameSchema:
    """Schema checking dtypes, ranges, categories, non-nulls and unique customer ids."""
    fields = CustomerRecord.model_fields
    columns = {name: _column(name, fields[name]) for name in RAW_COLUMNS}
    return pa.DataFrameSchema(columns, name="raw_customers", ordered=False, strict=False)


RAW_SCHEMA = build_raw_schema()
