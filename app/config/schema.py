"""The office file as a coordinator writes it: strict models, so a typo is an error, not a gap."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr, model_validator

from app.config.spec_base import (
    DISCRIMINATOR,
    FORMAT,
    SHAPE_TAGS,
    ConditionSpec,
    Loc,
    MosquittoHash,
    PeriodSpec,
    Sha256Hex,
    Spec,
    Zone,
    hash_token,
    schedule,
)
from app.config.spec_facts import (
    AgencySpec,
    DelegationSpec,
    GuardServiceSpec,
    InterventionPolicySpec,
    OnDuty,
    PoliceSpec,
    PoolDeclSpec,
    PoolEntry,
    ReceptionSpec,
    SharingSpec,
    SiteSpec,
    TimeWindows,
    pool_members,
    pool_size,
)
from app.config.spec_roles import (
    ASSIGNMENT_MODES,
    AllRespondSpec,
    AssembleSpec,
    AssessorSpec,
    AssignmentSpec,
    FirstToClaimSpec,
    GuardModeSpec,
    NamedSpec,
    PoolSpec,
    PresserOverrideSpec,
    PresserSpec,
    RoleCardSpec,
    RoleSpec,
    VariantSpec,
)
from app.core.facts import DEFAULT_TIMEZONE, OfficeFacts, Rostered
from app.core.office import (
    DEFAULT_GESTURES,
    Gesture,
    Handset,
    Level,
    Location,
    Office,
    Person,
    Trigger,
    TriggerKind,
)
from devices.catalogue import check_address, check_full_topic

__all__ = [
    "ASSIGNMENT_MODES",
    "DISCRIMINATOR",
    "FORMAT",
    "SHAPE_TAGS",
    "AgencySpec",
    "AllRespondSpec",
    "ApiRole",
    "ApiTokenSpec",
    "AssembleSpec",
    "AssessorSpec",
    "AssignmentSpec",
    "ConditionSpec",
    "DelegationSpec",
    "DeviceFeedbackSpec",
    "DeviceSpec",
    "FirstToClaimSpec",
    "GuardModeSpec",
    "GuardServiceSpec",
    "HandsetSpec",
    "InterventionPolicySpec",
    "Loc",
    "LocationSpec",
    "MqttClientSpec",
    "MqttSpec",
    "MqttUserSpec",
    "NamedSpec",
    "OfficeFile",
    "OfficeSpec",
    "PeriodSpec",
    "PersonSpec",
    "PoliceSpec",
    "PoolDeclSpec",
    "PoolSpec",
    "PresserOverrideSpec",
    "PresserSpec",
    "ReceptionSpec",
    "RoleCardSpec",
    "RoleSpec",
    "SiteSpec",
    "VariantSpec",
    "Zone",
    "hash_token",
    "known_fields",
    "pool_members",
    "pool_size",
]

ApiRole = Literal["admin", "coordinator", "viewer"]
DeviceFamily = Literal["native", "zigbee2mqtt", "tasmota", "shelly", "esphome"]


class OfficeSpec(Spec):
    id: StrictStr
    name: StrictStr
    cancel_window_s: StrictInt = 30
    timezone: StrictStr = DEFAULT_TIMEZONE
    max_people_per_alarm: StrictInt | None = None  # the most one alarm should pull from work


class RosterSpec(Spec):
    """Who sits at a fixed place when nobody has checked in there: the presser's fallback."""

    person: StrictStr
    when: OnDuty = "always"  # always, or a list of window names and periods

    def to_core(self) -> Rostered:
        items = [] if isinstance(self.when, str) else self.when
        return Rostered(self.person, schedule(items, always=self.when == "always"))


class LocationSpec(Spec):
    id: StrictStr
    name: StrictStr
    zone: Zone
    site: StrictStr | None = None
    staffed_by: list[RosterSpec] = Field(default_factory=list)

    def to_core(self) -> Location:
        roster = tuple(r.to_core() for r in self.staffed_by)
        return Location(self.id, self.name, self.zone.value, self.site, roster)


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


FeedbackState = Literal["received", "accepted", "arrived", "resolved", "cancelled"]


def _default_feedback_states() -> list[FeedbackState]:
    return ["received", "accepted"]


class DeviceFeedbackSpec(Spec):
    """`feedback:` of a family device that can buzz or blink: the command its family understands
    (devices/families/feedback.py); without it the device gets no family command."""

    topic_suffix: StrictStr | None = None
    payload: dict[StrictStr, Any] | StrictStr | None = None
    states: list[FeedbackState] = Field(default_factory=_default_feedback_states)


class DeviceSpec(Spec):
    id: StrictStr
    family: DeviceFamily = "native"
    address: StrictStr | None = None  # where its family publishes it (docs/devices.md)
    kind: TriggerKind
    location: StrictStr
    holder: StrictStr | None = None
    gestures: dict[Gesture, Level] = Field(default_factory=dict)
    actions: dict[StrictStr, Gesture] = Field(default_factory=dict)  # family word -> gesture
    feedback: DeviceFeedbackSpec | None = None  # a family command to buzz/blink the device
    full_topic: StrictStr | None = None  # Tasmota's FullTopic, e.g. "%topic%/%prefix%/"

    @model_validator(mode="after")
    def _address_fits_family(self) -> DeviceSpec:
        if (problem := check_address(self.family, self.address)) is not None:
            raise ValueError(f"address: {problem}")
        if (problem := check_full_topic(self.family, self.full_topic)) is not None:
            raise ValueError(f"full_topic: {problem}")
        return self

    def to_core(self) -> Trigger:
        return Trigger(
            device_id=self.id,
            kind=self.kind,
            location_id=self.location,
            family=self.family,
            holder_id=self.holder,
            gestures={**DEFAULT_GESTURES, **self.gestures},
            address=self.address,
            actions=dict(self.actions),
            feedback=None if self.feedback is None else self.feedback.model_dump(),
            full_topic=self.full_topic,
        )


class ApiTokenSpec(Spec):
    token: StrictStr | None = None
    token_sha256: Sha256Hex | None = None
    role: ApiRole
    offices: list[StrictStr] = Field(min_length=1)


class MqttUserSpec(Spec):
    """An MQTT account: a Mosquitto `$7$` hash, or (demo files only) the password itself."""

    username: StrictStr
    password_hash: MosquittoHash | None = None
    password: StrictStr | None = None


class MqttClientSpec(MqttUserSpec):
    """A device or a bridge (a Zigbee2MQTT or ESPHome host) and the devices it publishes for."""

    devices: list[StrictStr] = Field(min_length=1)


class MqttSpec(Spec):
    """`mqtt:` who may publish what (docs/devices.md, "Who may publish what")."""

    service: MqttUserSpec
    clients: list[MqttClientSpec] = Field(default_factory=list)


class OfficeFile(Spec):
    """One office: the top level of a `format: rollekort/office-v1` file."""

    format: Literal["rollekort/office-v1"]
    demo: StrictBool = False
    office: OfficeSpec
    police: PoliceSpec | None = None
    guard: GuardServiceSpec | None = None
    agencies: list[AgencySpec] = Field(default_factory=list)
    reception: ReceptionSpec | None = None
    intervention_policy: InterventionPolicySpec | None = None
    sites: list[SiteSpec] = Field(default_factory=list)
    time_windows: TimeWindows = Field(default_factory=dict)
    locations: list[LocationSpec]
    people: list[PersonSpec]
    handsets: list[HandsetSpec] = Field(default_factory=list)
    devices: list[DeviceSpec] = Field(default_factory=list)
    api_tokens: list[ApiTokenSpec] = Field(default_factory=list)
    pools: dict[StrictStr, PoolEntry] = Field(default_factory=dict)
    delegations: list[DelegationSpec] = Field(default_factory=list)
    sharing: list[SharingSpec] = Field(default_factory=list)
    mqtt: MqttSpec | None = None
    rolecard: RoleCardSpec

    @property
    def public_reception(self) -> bool:
        """`reception.public`, or, when not given, whether any location has zone public."""
        if self.reception is not None and self.reception.public is not None:
            return self.reception.public
        return any(x.zone is Zone.PUBLIC for x in self.locations)

    def to_facts(self) -> OfficeFacts:
        reception = self.reception or ReceptionSpec()
        policy = self.intervention_policy
        return OfficeFacts(
            police=None if self.police is None else self.police.to_core(),
            agencies=tuple(a.to_core() for a in self.agencies),
            guard=None if self.guard is None else self.guard.to_core(),
            max_people_per_alarm=self.office.max_people_per_alarm,
            intervention_policy=None if policy is None else policy.to_core(),
            reception=reception.to_core(self.public_reception),
            sites=tuple(s.to_core() for s in self.sites),
            time_windows={k: tuple(p.to_core() for p in v) for k, v in self.time_windows.items()},
            timezone=self.office.timezone,
            sharing=tuple(s.to_core() for s in self.sharing),
        )

    def to_office(self) -> Office:
        """The core's view; call only on a file the validator passed (references resolve)."""
        sizes = {k: pool_size(v) for k, v in self.pools.items()}
        return Office(
            id=self.office.id,
            name=self.office.name,
            rolecard=self.rolecard.to_core(),
            locations={x.id: x.to_core() for x in self.locations},
            people={x.id: x.to_core() for x in self.people},
            handsets={x.id: x.to_core() for x in self.handsets},
            triggers={x.id: x.to_core() for x in self.devices},
            pools={k: tuple(pool_members(v)) for k, v in self.pools.items()},
            cancel_window_s=self.office.cancel_window_s,
            demo=self.demo,
            facts=self.to_facts(),
            delegations=tuple(d.to_core() for d in self.delegations),
            pool_sizes={k: v for k, v in sizes.items() if v is not None},
        )


# --- field names for "did you mean" hints ------------------------------------------------------


def known_fields(loc: Loc) -> tuple[str, ...]:
    """Field names allowed at `loc` (for "did you mean" hints); empty when not a model."""
    types_here: tuple[Any, ...] = (OfficeFile,)
    for seg in loc:
        types_here = tuple(t for tp in types_here for t in _step_into(tp, seg))
        if not types_here:
            return ()
    names: list[str] = []
    for model in (m for tp in types_here for m in _models(tp)):
        names.extend(f.alias or name for name, f in model.model_fields.items())
    return tuple(dict.fromkeys(names))


def _flat(tp: Any) -> tuple[Any, ...]:
    """The types a (possibly Annotated, possibly union) annotation can be."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        return tuple(t for a in get_args(tp) for t in _flat(a))
    return (tp,)


def _models(tp: Any) -> tuple[type[BaseModel], ...]:
    return tuple(t for t in _flat(tp) if isinstance(t, type) and issubclass(t, BaseModel))


def _step_into(tp: Any, seg: str | int) -> tuple[Any, ...]:
    out: list[Any] = []
    for t in _flat(tp):
        origin = get_origin(t)
        if isinstance(seg, int):
            out.extend(get_args(t)[:1] if origin is list else ())
        elif origin in (dict, Mapping):
            out.append(get_args(t)[1])
        else:
            for model in _models(t):
                out.extend(
                    f.annotation for name, f in model.model_fields.items() if seg in (name, f.alias)
                )
    return tuple(out)
