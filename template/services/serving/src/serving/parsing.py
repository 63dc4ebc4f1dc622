"""Turn a request body into a ``PredictionRequest`` with bounded cost and bounded errors.

Runs in a worker thread. The work per request is bounded by the body size limit (applied
while the body streams in) and by these rules: an object with more members than any valid
one is refused while parsing, more instances than allowed are refused before any instance
is validated, and validation stops after ``MAX_ERRORS`` errors, so neither the CPU time nor
the error body grows with what an attacker sends.
"""

import json
from typing import Any

from pydantic import ValidationError

from contracts import PredictionRequest
from contracts.records import MAX_BATCH_SIZE, PredictionInstance
from serving.errors import MAX_ERRORS, MAX_MESSAGE_CHARS

# A valid object has at most this many members (an instance has 7 fields); a few extra are
# reported as validation errors, anything beyond is refused without building the object.
MAX_OBJECT_MEMBERS = 2 * len(PredictionInstance.model_fields)


class InvalidRequest(Exception):
    """The body is not a valid ``PredictionRequest``; ``errors`` is short and echo-free."""

    def __init__(self, errors: list[dict[str, Any]], total: int | None = None) -> None:
        super().__init__(f"{total or len(errors)} validation errors")
        self.errors = errors[:MAX_ERRORS]
        self.total = total if total is not None else len(errors)


class _TooManyMembers(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _error(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg[:MAX_MESSAGE_CHARS], "type": kind}


def _bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_OBJECT_MEMBERS:
        raise _TooManyMembers
    return dict(pairs)


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body, object_pairs_hook=_bounded_object, parse_constant=_no_constants)
    except _TooManyMembers:
        raise InvalidRequest(
            [
                _error(
                    ["body"],
                    f"an object has more than {MAX_OBJECT_MEMBERS} members",
                    "too_many_members",
                )
            ]
        ) from None
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise InvalidRequest([_error(["body"], "body is not valid JSON", "json_invalid")]) from None


def _pydantic_errors(exc: ValidationError, prefix: list[str | int]) -> list[dict[str, Any]]:
    # Location, message and type only: echoing "input" would reflect client data back.
    return [
        _error([*prefix, *err["loc"]], err["msg"], err["type"])
        for err in exc.errors(include_url=False, include_context=False, include_input=False)[
            :MAX_ERRORS
        ]
    ]


def parse_prediction_request(body: bytes) -> PredictionRequest:
    data = _loads(body)
    instances = data.get("instances") if isinstance(data, dict) else None
    if not isinstance(instances, list) or not instances:
        # Wrong shape: nothing large to validate (members are bounded above).
        try:
            return PredictionRequest.model_validate(data)
        except ValidationError as exc:
            raise InvalidRequest(_pydantic_errors(exc, ["body"]), exc.error_count()) from None
    if len(instances) > MAX_BATCH_SIZE:
        raise InvalidRequest(
            [
                _error(
                    ["body", "instances"],
                    f"List should have at most {MAX_BATCH_SIZE} items",
                    "too_long",
                )
            ]
        )
    errors: list[dict[str, Any]] = []
    total = 0
    validated: list[PredictionInstance] = []
    for index, item in enumerate(instances):
        try:
            validated.append(PredictionInstance.model_validate(item))
        except ValidationError as exc:
            total += exc.error_count()
            if len(errors) < MAX_ERRORS:
                errors.extend(_pydantic_errors(exc, ["body", "instances", index]))
    if errors:
        raise InvalidRequest(errors, total)
    try:
        return PredictionRequest.model_validate({**data, "instances": validated})
    except ValidationError as exc:  # unknown top-level members
        raise InvalidRequest(_pydantic_errors(exc, ["body"]), exc.error_count()) from None
