"""The office file as a coordinator writes it: strict models, so a typo is an error, not a gap."""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from app.core.office import (
    DEFAULT_GESTURES,
    Gesture,
    Handset,
    Level,
    Location,
    NamedAssignment,
    Office,
    Person,
    PoolAssignment,
    Role,
    RoleCard,
    Stance,
    Step,
    Trigger,
    TriggerKind,
)

FORMAT = "rollekort/office-v1"
DISCRIMINATOR = "mode"
ASSIGNMENT_MODES = ("named", "pool")
ApiRole = Literal["admin", "coordinator", "viewer"]
DeviceFamily = Literal["native", "zigbee2mqtt", "tasmota", "shelly", "esphome"]
Loc = tuple[str | int, ...]
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def hash_token(token: str) -> str:
    """The sha256 hex digest under which a bearer token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _sha256_hex(value: str) -> str:
    if not _HEX64.fullmatch(value):
        raise ValueError(
            "must be 64 hexadecimal characters, the sha256 of the token "
            "(printf %s 'TOKEN' | sha256sum)"
        )
    return value.lower()


Sha256Hex = Annotated[StrictStr, AfterValidator(_sha256_hex)]


class Zone(StrEnum):
    """What kind of place a location is; later rules (bystanders, lone reception) depend on it."""

    PUBLIC = "public"
    CONVERSATION_ROOM = "conversation_room"
    BACK_OFFICE = "back_office"
    SAFE_ZONE = "safe_zone"
    OTHER = "other"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeSpec(Spec):
    id: StrictStr
    name: StrictStr
    cancel_window_s: StrictInt = 30


class LocationSpec(Spec):
    id: StrictStr
    name: StrictStr
    zone: Zone

    def to_core(self) -> Location:
        return Location(id=self.id, name=self.name, zone=self.zone.value)


class PersonSpec(Spec):
    """Staff only, and only what a handset shows: never a client, never contact details."""

    id: StrictStr
    name: StrictStr

    def to_core(self) -> Person:
        return Person(id=self.id, name=self.name)


class HandsetSpec(Spec):
    id: StrictStr
    person: StrictStr
    token: StrictStr | None = None
    token_sha256: Sha256Hex | None = None

    def to_core(self) -> Handset:
        return Handset(id=self.id, person_id=self.person)


class DeviceSpec(Spec):
    id: StrictStr
    family: DeviceFamily = "native"
    kind: TriggerKind
    location: StrictStr
    holder: StrictStr | None = None
    gestures: dict[Gesture, Level] = Field(default_factory=dict)

    def to_core(self) -> Trigger:
        return Trigger(
            device_id=self.id,
            kind=self.kind,
            location_id=self.location,
            family=self.family,
            holder_id=self.holder,
            gestures={**DEFAULT_GESTURES, **self.gestures},
        )


class ApiTokenSpec(Spec):
    token: StrictStr | None = None
    token_sha256: Sha256Hex | None = None
    role: ApiRole
    offices: list[StrictStr] = Field(min_length=1)


class NamedSpec(Spec):
    mode: Literal["named"]
    holder: StrictStr
    deputies: list[StrictStr] = Field(default_factory=list)

    def to_core(self) -> NamedAssignment:
        return NamedAssignment(holder_id=self.holder, deputy_ids=tuple(self.deputies))


class PoolSpec(Spec):
    mode: Literal["pool"]
    pool: StrictStr

    def to_core(self) -> PoolAssignment:
        return PoolAssignment(pool_id=self.pool)


AssignmentSpec = Annotated[NamedSpec | PoolSpec, Field(discriminator=DISCRIMINATOR)]


class RoleSpec(Spec):
    id: StrictStr
    title: StrictStr
    stance: Stance | None = None  # optional here so the validator can explain the choices
    leader: StrictBool = False
    required: StrictBool = True
    accept_within_s: StrictInt
    assignment: AssignmentSpec
    steps: list[StrictStr] = Field(default_factory=list)

    def to_core(self) -> Role:
        if self.stance is None:
            raise ValueError(f"role {self.id} has no stance; validate before building")
        return Role(
            id=self.id,
            title=self.title,
            stance=self.stance,
            steps=tuple(Step(n=i, text=t.strip()) for i, t in enumerate(self.steps, start=1)),
            accept_within_s=self.accept_within_s,
            assignment=self.assignment.to_core(),
            required=self.required,
            leader=self.leader,
        )


class RoleCardSpec(Spec):
    version: StrictStr
    roles: list[RoleSpec]

    def to_core(self) -> RoleCard:
        return RoleCard(version=self.version, roles=tuple(r.to_core() for r in self.roles))


class OfficeFile(Spec):
    """One office: the top level of a `format: rollekort/office-v1` file."""

    format: Literal["rollekort/office-v1"]
    demo: StrictBool = False
    office: OfficeSpec
    locations: list[LocationSpec]
    people: list[PersonSpec]
    handsets: list[HandsetSpec] = Field(default_factory=list)
    devices: list[DeviceSpec] = Field(default_factory=list)
    api_tokens: list[ApiTokenSpec] = Field(default_factory=list)
    pools: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)
    rolecard: RoleCardSpec

    def to_office(self) -> Office:
        """The core's view; call only on a file the validator passed (references resolve)."""
        return Office(
            id=self.office.id,
            name=self.office.name,
            rolecard=self.rolecard.to_core(),
            locations={x.id: x.to_core() for x in self.locations},
            people={x.id: x.to_core() for x in self.people},
            handsets={x.id: x.to_core() for x in self.handsets},
            triggers={x.id: x.to_core() for x in self.devices},
            pools={k: tuple(v) for k, v in self.pools.items()},
            cancel_window_s=self.office.cancel_window_s,
            demo=self.demo,
        )


def known_fields(loc: Loc) -> tuple[str, ...]:
    """Field names allowed at `loc` (for "did you mean" hints); empty when not a model."""
    tp: Any = OfficeFile
    for seg in loc:
        tp = _step_into(_unwrap(tp), seg)
        if tp is None:
            return ()
    return tuple(name for model in _models(_unwrap(tp)) for name in model.model_fields)


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _models(tp: Any) -> tuple[type[BaseModel], ...]:
    if get_origin(tp) in (Union, types.UnionType):
        return tuple(m for a in get_args(tp) for m in _models(_unwrap(a)))
    return (tp,) if isinstance(tp, type) and issubclass(tp, BaseModel) else ()


def _step_into(tp: Any, seg: str | int) -> Any:
    origin = get_origin(tp)
    if isinstance(seg, int):
        return get_args(tp)[0] if origin is list else None
    if origin in (dict, Mapping):
        return get_args(tp)[1]
    for model in _models(tp):
        if seg in model.model_fields:
            return model.model_fields[seg].annotation
    return None
