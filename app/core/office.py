"""The office as the core sees it: places, people, triggers and the active role card.

Frozen dataclasses built from a validated office file (see app.config); the core never parses
files or reads tokens, it only reasons about who may be offered which role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.facts import Delegation, OfficeFacts, Rostered


class Stance(StrEnum):
    """What a role holder does with their body: the one thing a role card must never leave open."""

    APPROACH = "approach"
    ASSESS_FROM_DOOR = "assess_from_door"
    ASSEMBLE_AT = "assemble_at"
    WITHDRAW_TO = "withdraw_to"
    STAY_AND_GUARD = "stay_and_guard"
    PROTECT_BYSTANDERS = "protect_bystanders"
    EXTERNAL_CONTACT = "external_contact"


class Contact(StrEnum):
    """Whom an external-contact role calls; the police and local-help rules read it."""

    POLICE = "police"
    NEIGHBOUR = "neighbour"
    GUARD_COMPANY = "guard_company"
    AGENCY = "agency"


class TriggerKind(StrEnum):
    FIXED = "fixed"
    WORN = "worn"


class Level(StrEnum):
    """Alarm level chosen by the presser's gesture; ordered by urgency."""

    ASSIST = "assist"
    ACUTE = "acute"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.ASSIST: 1, Level.ACUTE: 2}


class AlarmMode(StrEnum):
    REAL = "real"
    DRILL = "drill"
    TEST = "test"


class Gesture(StrEnum):
    SINGLE = "single"
    DOUBLE = "double"
    TRIPLE = "triple"
    HOLD = "hold"


DEFAULT_GESTURES: Mapping[Gesture, Level] = {
    Gesture.SINGLE: Level.ASSIST,
    Gesture.DOUBLE: Level.ASSIST,
    Gesture.TRIPLE: Level.ACUTE,
    Gesture.HOLD: Level.ACUTE,
}


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    zone: str
    site: str | None = None
    roster: tuple[Rostered, ...] = ()  # who sits here when nobody has checked in


@dataclass(frozen=True)
class Person:
    """A staff member; only what a handset must show. Never a client of the office."""

    id: str
    name: str


@dataclass(frozen=True)
class Handset:
    id: str
    person_id: str


@dataclass(frozen=True)
class Trigger:
    device_id: str
    kind: TriggerKind
    location_id: str
    family: str = "native"
    holder_id: str | None = None
    gestures: Mapping[Gesture, Level] = field(default_factory=lambda: dict(DEFAULT_GESTURES))
    address: str | None = None  # where its family publishes it; None for native: the device id
    actions: Mapping[str, Gesture] = field(default_factory=dict)  # family action word -> gesture
    feedback: Mapping[str, Any] | None = None  # the family command that buzzes or blinks it
    full_topic: str | None = None  # Tasmota: its FullTopic when not `%prefix%/%topic%/`

    def level_for(self, gesture: Gesture) -> Level:
        return self.gestures.get(gesture, DEFAULT_GESTURES[gesture])


@dataclass(frozen=True)
class NamedAssignment:
    """A named holder, then the deputies in order."""

    holder_id: str
    deputy_ids: tuple[str, ...] = ()

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.holder_id, *self.deputy_ids)


@dataclass(frozen=True)
class PoolAssignment:
    """One of N roles drawn from a pool of present staff: the first to accept take them in order."""

    pool_id: str


@dataclass(frozen=True)
class FirstToClaimAssignment:
    """Offered to everyone present (or only `among` / the pool): the first to accept holds it."""

    among: tuple[str, ...] = ()
    pool_id: str | None = None


@dataclass(frozen=True)
class AllRespondAssignment:
    """Offered to everyone present with a handset; every acceptance counts ("alle ut i mottak")."""


@dataclass(frozen=True)
class AssessorAssignment:
    """The one assessor: the holder, then deputies (first to claim if no holder is named)."""

    holder_id: str | None = None
    deputy_ids: tuple[str, ...] = ()

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.holder_id, *self.deputy_ids) if self.holder_id else self.deputy_ids


@dataclass(frozen=True)
class AssembleAssignment:
    """Everyone present who holds no other role in the alarm: told where to gather, not asked."""


@dataclass(frozen=True)
class GuardAssignment:
    """The guard on duty holds it; with no guard on duty (or no accept), the deputies in order."""

    deputy_ids: tuple[str, ...] = ()


Assignment = (
    NamedAssignment
    | PoolAssignment
    | FirstToClaimAssignment
    | AllRespondAssignment
    | AssessorAssignment
    | AssembleAssignment
    | GuardAssignment
)


@dataclass(frozen=True)
class Condition:
    """When a variant (or a role, or a presser instruction) applies; empty fields match anything.

    Every given field must match (and); inside a field any listed value matches (or).
    """

    locations: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    trigger_kinds: frozenset[TriggerKind] = frozenset()
    windows: frozenset[str] = frozenset()
    levels: frozenset[Level] = frozenset()
    guard_on_duty: bool | None = None


@dataclass(frozen=True)
class Step:
    n: int
    text: str


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    stance: Stance
    steps: tuple[Step, ...]
    accept_within_s: int
    assignment: Assignment
    required: bool = True
    leader: bool = False
    contact: Contact | None = None  # whom an external_contact role calls
    at: str | None = None  # location id: where to assemble, withdraw to or guard
    agency_ids: tuple[str, ...] = ()  # the agencies whose contacts the holder calls
    applies_to: Condition | None = None  # None: every alarm this card is used for
    arrival_step: int | None = None  # ticking this step also marks the holder arrived


@dataclass(frozen=True)
class PresserOverride:
    when: Condition
    stance: Stance
    steps: tuple[Step, ...] = ()
    at: str | None = None


@dataclass(frozen=True)
class Presser:
    """What the person who pressed does; the first override whose `when` matches replaces it."""

    stance: Stance = Stance.WITHDRAW_TO
    steps: tuple[Step, ...] = ()
    at: str | None = None
    overrides: tuple[PresserOverride, ...] = ()


@dataclass(frozen=True)
class Variant:
    """A card for some alarms: `roles` replace base roles with the same id or are added."""

    id: str
    when: Condition
    roles: tuple[Role, ...] = ()
    drop: tuple[str, ...] = ()
    presser: Presser | None = None
    name: str = ""


@dataclass(frozen=True)
class RoleCard:
    version: str
    roles: tuple[Role, ...]
    presser: Presser = Presser()
    variants: tuple[Variant, ...] = ()
    variant_id: str | None = None  # set on a resolved card: the variant chosen, if any
    briefed_only: bool = True  # only staff who acknowledged this version are offered a role
    receivers_only: bool = False  # only people the card names respond: never "everyone present"
    arrive_within_s: int = 120  # later than this with nobody at the presser is a deviation

    def role(self, role_id: str) -> Role:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    def pool_roles(self, pool_id: str) -> tuple[Role, ...]:
        return tuple(
            r
            for r in self.roles
            if isinstance(r.assignment, PoolAssignment) and r.assignment.pool_id == pool_id
        )


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    rolecard: RoleCard
    locations: Mapping[str, Location]
    people: Mapping[str, Person]
    handsets: Mapping[str, Handset]
    triggers: Mapping[str, Trigger]
    pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cancel_window_s: int = 30
    demo: bool = False
    facts: OfficeFacts = field(default_factory=OfficeFacts)
    delegations: tuple[Delegation, ...] = ()
    pool_sizes: Mapping[str, int] = field(default_factory=dict)  # declared `size`, if any

    def handsets_of(self, person_id: str) -> tuple[Handset, ...]:
        return tuple(h for h in self.handsets.values() if h.person_id == person_id)

    def standing_roles(self, person_id: str) -> tuple[Role, ...]:
        """Roles this person holds when an alarm comes (named holder or deputy, or pool member)."""
        return tuple(r for r in self.rolecard.roles if person_id in self.named_for(r))

    def named_for(self, role: Role) -> tuple[str, ...]:
        """Everyone a role names: its chain, its pool or group, the guards on its card."""
        a = role.assignment
        if isinstance(a, NamedAssignment | AssessorAssignment):
            return a.chain
        if isinstance(a, PoolAssignment):
            return self.pools.get(a.pool_id, ())
        if isinstance(a, FirstToClaimAssignment):
            return a.among or self.pools.get(a.pool_id or "", ())
        if isinstance(a, GuardAssignment):
            guards = self.facts.guard.people if self.facts.guard else ()
            return (*guards, *a.deputy_ids)
        return ()
