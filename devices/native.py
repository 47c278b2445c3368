"""Native device payloads (protocol v1, section 1): strict models, one decode error type, no I/O.

Decoding is ordered so the reason names the first thing wrong: size, UTF-8, JSON, object, fields.
Unknown fields are ignored, as the protocol requires. Gesture names equal `app.core.office.Gesture`
values (devices/ may not import app/; a unit test keeps them in step).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

EventName = Literal["press", "cancel", "test"]
GestureName = Literal["single", "double", "triple", "hold"]
FeedbackState = Literal["received", "accepted", "arrived", "resolved", "cancelled"]
DecodeReason = Literal["too_large", "not_utf8", "not_json", "not_object", "invalid"]

MAX_PAYLOAD_BYTES = 4096
MAX_SEQ = 2**63 - 1  # fits a signed 64-bit database column
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?")
_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


def _rfc3339_string(value: object) -> object:
    """Admit only RFC 3339 strings (pydantic alone would also take Unix numbers and other forms);
    a datetime object passes too, for code that builds events rather than decoding them."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("must be an RFC 3339 date-time string with a zone")
    return value


Percent = Annotated[StrictInt, Field(ge=0, le=100)]
Timestamp = Annotated[AwareDatetime | None, BeforeValidator(_rfc3339_string)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TriggerEvent(_Payload):
    """`rollekort/v1/trigger/{device_id}`: a press, a cancel or a routine test."""

    event: EventName
    seq: Annotated[StrictInt, Field(ge=0, le=MAX_SEQ)]
    gesture: GestureName = "single"
    ts: Timestamp = None
    battery: Percent | None = None
    # extension of v1: changes whenever the button restarts, so a counter that started again
    # is not taken for a redelivery (docs/protocol.md)
    boot: Annotated[StrictStr, Field(pattern=_ID_PATTERN)] | None = None


class Status(_Payload):
    """`rollekort/v1/status/{device_id}` (retained; also the Last Will `{"online": false}`)."""

    online: StrictBool
    battery: Percent | None = None
    rssi: StrictInt | None = None
    firmware: Annotated[StrictStr, Field(max_length=64)] | None = None


class Feedback(_Payload):
    """`rollekort/v1/feedback/{device_id}`: tells the wearer, discreetly, that help is coming."""

    alarm_id: Annotated[StrictStr, Field(pattern=_ID_PATTERN)]
    state: FeedbackState


class DecodeError(ValueError):
    """A payload was rejected: `reason` is short and machine-readable, `detail` is for people."""

    def __init__(self, reason: DecodeReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: DecodeReason = reason
        self.detail = detail


_M = TypeVar("_M", bound=_Payload)


def decode_trigger(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> TriggerEvent:
    return _decode(TriggerEvent, payload, max_bytes)


OPTIONAL_TRIGGER_FIELDS = frozenset({"gesture", "ts", "battery", "boot"})


def decode_press(
    payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES
) -> tuple[TriggerEvent, tuple[str, ...]]:
    """A trigger event that keeps the press when only optional fields are wrong: a bad `ts`,
    `battery` or `gesture` is dropped (and named in the result) rather than losing an alarm.
    `event` and `seq` must be right; without them it is not a press we can de-duplicate."""
    obj = _json_object(payload, max_bytes)
    try:
        return TriggerEvent.model_validate(obj), ()
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        if not bad or not bad <= OPTIONAL_TRIGGER_FIELDS:
            raise DecodeError("invalid", _summary(exc)) from None
    kept = {k: v for k, v in obj.items() if k not in bad}
    try:
        return TriggerEvent.model_validate(kept), tuple(sorted(bad))
    except ValidationError as exc:
        raise DecodeError("invalid", _summary(exc)) from None


def decode_status(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> Status:
    return _decode(Status, payload, max_bytes)


def decode_feedback(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> Feedback:
    return _decode(Feedback, payload, max_bytes)


def encode_feedback(alarm_id: str, state: FeedbackState) -> bytes:
    """The feedback payload as compact UTF-8 JSON; ValueError on an invalid id or state."""
    try:
        feedback = Feedback(alarm_id=alarm_id, state=state)
    except ValidationError as exc:
        raise ValueError(_summary(exc)) from exc
    return feedback.model_dump_json().encode()


def _decode(model: type[_M], payload: bytes, max_bytes: int) -> _M:
    obj = _json_object(payload, max_bytes)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError("invalid", _summary(exc)) from None


def _json_object(payload: bytes, max_bytes: int) -> dict[str, Any]:
    if len(payload) > max_bytes:
        raise DecodeError("too_large", f"{len(payload)} bytes, at most {max_bytes} allowed")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("not_utf8", f"byte {exc.start} is not UTF-8") from None
    obj = _parse_json(text)
    if not isinstance(obj, dict):
        raise DecodeError("not_object", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise DecodeError("not_json", str(exc) or type(exc).__name__) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _summary(exc: ValidationError) -> str:
    """One line per problem, `field: message`, at most three."""
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'payload'}: {err['msg']}"
        for err in exc.errors(include_url=False)[:3]
    ]
    return "; ".join(parts)
