"""Record and API payload models: the shape of data as it crosses service boundaries."""

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.privacy import PersonalData

Channel = Literal["web", "mobile", "store", "partner"]
Region = Literal["north", "south", "east", "west"]
CHANNELS: tuple[str, ...] = get_args(Channel)
REGIONS: tuple[str, ...] = get_args(Region)

MAX_BATCH_SIZE = 1000

# What each personal field is kept for (``contracts.privacy``; docs/data-governance.md).
_ATTRIBUTE = PersonalData(
    category="personal attribute",
    purpose="churn prediction (legitimate interest: customer retention)",
    handling="raw zone as ingested; features zone only next to the pseudonym; erasable",
)
_CUSTOMER_ID = PersonalData(
    category="direct identifier",
    purpose="links a customer's rows across batches and to erasure requests",
    handling="raw and quarantine zones only; replaced by HMAC-SHA256 pseudonym before features",
)
_REQUEST_ID = PersonalData(
    category="direct identifier",
    purpose="lets a caller match predictions to its customers",
    handling="echoed in the response; serving neither stores nor logs it",
)


class CustomerFeatures(BaseModel):
    """What the model sees about one customer: raw attributes, no label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenure_months: Annotated[int, _ATTRIBUTE] = Field(
        ge=0, le=600, description="Months since the first purchase"
    )
    monthly_spend: Annotated[float, _ATTRIBUTE] = Field(
        ge=0, le=100_000, description="Average spend per month"
    )
    engagement_score: Annotated[float, _ATTRIBUTE] = Field(
        ge=0, le=1, description="Share of active days, 0..1"
    )
    support_tickets: Annotated[int, _ATTRIBUTE] = Field(
        ge=0, le=1_000, description="Tickets opened in the last year"
    )
    channel: Annotated[Channel, _ATTRIBUTE]
    region: Annotated[Region, _ATTRIBUTE]


class CustomerRecord(CustomerFeatures):
    """One row of the raw customer dataset, as produced by ingestion."""

    customer_id: Annotated[str, _CUSTOMER_ID] = Field(min_length=1, max_length=64)
    churned: Annotated[bool, _ATTRIBUTE]


class PredictionInstance(CustomerFeatures):
    # Strict: what the API accepts is exactly what its schema says (no true -> 1, "3" -> 3).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    customer_id: Annotated[str | None, _REQUEST_ID] = Field(default=None, max_length=64)

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


# The records whose personal fields docs/data-governance.md lists (``privacy.personal_fields``).
PERSONAL_DATA_MODELS: tuple[type[BaseModel], ...] = (CustomerRecord, PredictionInstance)
