"""Building blocks of the office file shared by every section: strict models, hours, conditions."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictStr,
    Tag,
)

from app.core.facts import MINUTES_PER_DAY, Period, Schedule
from app.core.office import Condition, Level, TriggerKind

FORMAT = "rollekort/office-v1"
DISCRIMINATOR = "mode"
SHAPE_TAGS = ("~text", "~list", "~mapping")  # tags of shape-chosen unions; not in the file
Loc = tuple[str | int, ...]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_HHMM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
_MOSQUITTO_HASH = re.compile(r"\$7\$[1-9][0-9]{0,8}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}")


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


def _mosquitto_hash(value: str) -> str:
    if not _MOSQUITTO_HASH.fullmatch(value):
        raise ValueError(
            "must be a Mosquitto $7$ (PBKDF2-SHA512) hash, as mosquitto_passwd writes it: "
            "$7$<iterations>$<base64 salt>$<base64 hash>"
        )
    return value


def _hhmm(value: str) -> str:
    if not _HHMM.fullmatch(value):
        raise ValueError(f'{value!r} is not a time: write "HH:MM", e.g. "08:00" or "14:30"')
    return value


Sha256Hex = Annotated[StrictStr, AfterValidator(_sha256_hex)]
Clock = Annotated[StrictStr, AfterValidator(_hhmm)]
MosquittoHash = Annotated[StrictStr, AfterValidator(_mosquitto_hash)]


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def shape(value: Any) -> str:
    """Tag for unions chosen by the shape of the YAML value (text, list or mapping)."""
    if isinstance(value, str):
        return "~text"
    return "~list" if isinstance(value, list) else "~mapping"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Zone(StrEnum):
    """What kind of place a location is; later rules (bystanders, lone reception) depend on it."""

    PUBLIC = "public"
    CONVERSATION_ROOM = "conversation_room"
    BACK_OFFICE = "back_office"
    SAFE_ZONE = "safe_zone"
    OTHER = "other"


class PeriodSpec(Spec):
    """`{days: [mon, wed, fri], from: "10:00", to: "14:00"}`; no days means every day."""

    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    from_: Clock = Field(alias="from")
    to: Clock

    def to_core(self) -> Period:
        end = minutes(self.to) if self.to != "24:00" else MINUTES_PER_DAY
        return Period(minutes(self.from_), end, frozenset(DAYS.index(d) for d in self.days))


ScheduleItem = Annotated[
    Annotated[StrictStr, Tag("~text")] | Annotated[PeriodSpec, Tag("~mapping")],
    Discriminator(shape),
]


def schedule(items: list[str | PeriodSpec], always: bool = False) -> Schedule:
    """Window names and periods as the core's Schedule."""
    names = tuple(x for x in items if isinstance(x, str))
    periods = tuple(x.to_core() for x in items if isinstance(x, PeriodSpec))
    return Schedule(always=always, windows=names, periods=periods)


class ConditionSpec(Spec):
    """`when:` of a variant or presser override, or a role's `applies_to`; all fields optional."""

    locations: list[StrictStr] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    sites: list[StrictStr] = Field(default_factory=list)
    trigger_kinds: list[TriggerKind] = Field(default_factory=list)
    windows: list[StrictStr] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    guard_on_duty: StrictBool | None = None

    @property
    def empty(self) -> bool:
        return self == ConditionSpec()

    def to_core(self) -> Condition:
        return Condition(
            locations=frozenset(self.locations),
            zones=frozenset(z.value for z in self.zones),
            sites=frozenset(self.sites),
            trigger_kinds=frozenset(self.trigger_kinds),
            windows=frozenset(self.windows),
            levels=frozenset(self.levels),
            guard_on_duty=self.guard_on_duty,
        )
