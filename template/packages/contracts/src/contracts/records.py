"""Record and API payload models: the shape of data as it crosses service boundaries."""

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

Channel = Literal["web", "mobile", "store", "partner"]
Region = Literal["north", "south", "east", "west"]
CHANNELS: tuple[str, ...] = get_args(Channel)
REGIONS: tuple[str, ...] = get_args(Region)

MAX_BATCH_SIZE = 1000


class CustomerFeatures(BaseModel):
    """What the model sees about one customer: raw attributes, no label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenure_months: int = Field(ge=0, le=600, description="Months since the first purchase")
    monthly_spend: float = Field(ge=0, le=100_000, description="Average spend per month")
    engagement_score: float = Field(ge=0, le=1, description="Share of active days, 0..1")
    support_tickets: int = Field(ge=0, le=1_000, description="Tickets opened in the last year")
    channel: Channel
    region: Region


class CustomerRecord(CustomerFeatures):
    """One row of the raw customer dataset, as produced by ingestion."""

    customer_id: str = Field(min_length=1, max_length=64)
    churned: bool


class PredictionInstance(CustomerFeatures):
    # Strict: what the API accepts is exactly what its schema says (no true -> 1, "3" -> 3).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    customer_id: str | None = Field(default=None, max_length=64)

    @field_validator("tenure_months", "support_tickets", mode="before")
    @classmethod
    def _integral_floats_are_integers(cls, value: object) -> object:
        # JSON Schema counts 3.0 as an integer; strict mode alone would refuse it.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class PredictionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[PredictionInstance] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class Prediction(BaseModel):
    customer_id: str | None
    churn_probability: float = Field(ge=0, le=1)
    churn: bool


class PredictionResponse(BaseModel):
    model_name: str
    model_version: str
    predictions: list[Prediction]
