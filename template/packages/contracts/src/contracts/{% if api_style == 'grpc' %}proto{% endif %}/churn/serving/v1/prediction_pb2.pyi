from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PredictionInstance(_message.Message):
    __slots__ = ("customer_id", "tenure_months", "monthly_spend", "engagement_score", "support_tickets", "channel", "region")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TENURE_MONTHS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_SPEND_FIELD_NUMBER: _ClassVar[int]
    ENGAGEMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_TICKETS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    tenure_months: int
    monthly_spend: float
    engagement_score: float
    support_tickets: int
    channel: str
    region: str
    def __init__(self, customer_id: _Optional[str] = ..., tenure_months: _Optional[int] = ..., monthly_spend: _Optional[float] = ..., engagement_score: _Optional[float] = ..., support_tickets: _Optional[int] = ..., channel: _Optional[str] = ..., region: _Optional[str] = ...) -> None: ...

class PredictionRequest(_message.Message):
    __slots__ = ("instances",)
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[PredictionInstance]
    def __init__(self, instances: _Optional[_Iterable[_Union[PredictionInstance, _Mapping]]] = ...) -> None: ...

class Prediction(_message.Message):
    __slots__ = ("customer_id", "churn_probability", "churn")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHURN_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    CHURN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    churn_probability: float
    churn: bool
    def __init__(self, customer_id: _Optional[str] = ..., churn_probability: _Optional[float] = ..., churn: _Optional[bool] = ...) -> None: ...

class PredictionResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "predictions")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    predictions: _containers.RepeatedCompositeFieldContainer[Prediction]
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., predictions: _Optional[_Iterable[_Union[Prediction, _Mapping]]] = ...) -> None: ...
