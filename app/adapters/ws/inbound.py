"""Handset → server frames of protocol v1, validated at the edge (a tagged union on `type`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ShortText = Annotated[str, Field(max_length=500)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Hello(_Frame):
    type: Literal["hello"]
    token: Annotated[str, Field(min_length=1, max_length=256)]
    resume: int | None = None
    receipts: bool = False  # [ext] this client confirms each offer with a `received` frame


class Accept(_Frame):
    type: Literal["accept"]
    alarm_id: Id
    role_id: Id


class Decline(_Frame):
    type: Literal["decline"]
    alarm_id: Id
    role_id: Id
    reason: ShortText | None = None


class StepDone(_Frame):
    type: Literal["step_done"]
    alarm_id: Id
    role_id: Id
    step: Annotated[int, Field(ge=1, le=99, strict=True)]


class NeedHelp(_Frame):
    type: Literal["need_help"]
    alarm_id: Id
    text: ShortText | None = None


class AllClear(_Frame):
    type: Literal["all_clear"]
    alarm_id: Id
    note: ShortText | None = None


class Lockdown(_Frame):
    type: Literal["lockdown"]
    on: Annotated[bool, Field(strict=True)]
    alarm_id: Id | None = None


class Duty(_Frame):
    """[ext] on or off duty: a handset off duty keeps receiving notices but is not offered roles."""

    type: Literal["duty"]
    on: Annotated[bool, Field(strict=True)]


class Acknowledge(_Frame):
    """[ext] I have read the active role card: from now on I count in my pool."""

    type: Literal["acknowledge"]


class CheckIn(_Frame):
    """[ext] I am at this desk or room (until I check out, go off duty, or `until`)."""

    type: Literal["check_in"]
    location_id: Id
    until: AwareDatetime | None = None


class CheckOut(_Frame):
    """[ext] I have left my desk or room."""

    type: Literal["check_out"]


class Carry(_Frame):
    """[ext] I take this worn trigger for my shift, or to a conversation room."""

    type: Literal["carry"]
    device_id: Id
    location_id: Id | None = None
    until: AwareDatetime | None = None


class GiveBack(_Frame):
    """[ext] I have handed this worn trigger back."""

    type: Literal["give_back"]
    device_id: Id


class Arrived(_Frame):
    """[ext] I am there: at the alarm's place."""

    type: Literal["arrived"]
    alarm_id: Id


class PoliceContacted(_Frame):
    """[ext] I have called the police (Rollekort never does)."""

    type: Literal["police_contacted"]
    alarm_id: Id


class Received(_Frame):
    """[ext] The handset showed this offer: the service knows it reached the phone."""

    type: Literal["received"]
    alarm_id: Id
    role_id: Id


class Pong(_Frame):
    type: Literal["pong"]
    nonce: Annotated[str, Field(max_length=64)]


ClientFrame = Annotated[
    Hello
    | Accept
    | Decline
    | StepDone
    | NeedHelp
    | AllClear
    | Lockdown
    | Duty
    | Acknowledge
    | CheckIn
    | CheckOut
    | Carry
    | GiveBack
    | Arrived
    | PoliceContacted
    | Received
    | Pong,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
MAX_FRAME_BYTES = 8192


class BadFrame(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_frame(text: str) -> ClientFrame:
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise BadFrame(f"frame larger than {MAX_FRAME_BYTES} bytes")
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "frame"
        raise BadFrame(f"{where}: {first['msg']}") from None
