"""The office as the core sees it: places, people, triggers and the active role card.

Frozen dataclasses built from a validated office file (see app.config); the core never parses
files or reads tokens, it only reasons about who may be offered which role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Stance(StrEnum):
    """What a role holder does with their body: the one thing a role card must never leave open."""

    APPROACH = "approach"
    ASSESS_FROM_DOOR = "assess_from_door"
    ASSEMBLE_AT = "assemble_at"
    WITHDRAW_TO = "withdraw_to"
    STAY_AND_GUARD = "stay_and_guard"
    PROTECT_BYSTANDERS = "protect_bystanders"
    EXTERNAL_CONTACT = "external_contact"


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


Assignment = NamedAssignment | PoolAssignment


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


@dataclass(frozen=True)
class RoleCard:
    version: str
    roles: tuple[Role, ...]

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

    def handsets_of(self, person_id: str) -> tuple[Handset, ...]:
        return tuple(h for h in self.handsets.values() if h.person_id == person_id)

    def standing_roles(self, person_id: str) -> tuple[Role, ...]:
        """Roles this person holds when an alarm comes (named holder or deputy, or pool member)."""
        held: list[Role] = []
        for role in self.rolecard.roles:
            a = role.assignment
            if (isinstance(a, NamedAssignment) and person_id in a.chain) or (
                isinstance(a, PoolAssignment) and person_id in self.pools.get(a.pool_id, ())
            ):
                held.append(role)
        return tuple(held)
