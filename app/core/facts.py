"""Office facts the role-card rules and variants need: police, guard, agencies, hours, policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

MINUTES_PER_DAY = 24 * 60
ALL_DAYS: frozenset[int] = frozenset(range(7))  # Monday = 0, as datetime.weekday()
AFTER_HOURS = "after_hours"
DEFAULT_TIMEZONE = "Europe/Oslo"
DEFAULT_POLICE_FAR_AFTER_MIN = 30


@dataclass(frozen=True)
class Period:
    """A weekly period, e.g. Mon/Wed/Fri 10:00-14:00; `end_min < start_min` runs past midnight."""

    start_min: int
    end_min: int
    days: frozenset[int] = ALL_DAYS

    def contains(self, weekday: int, minute: int) -> bool:
        if self.start_min < self.end_min:
            return weekday in self.days and self.start_min <= minute < self.end_min
        if self.start_min == self.end_min:  # a whole day, from midnight to midnight
            return weekday in self.days
        yesterday = (weekday - 1) % 7
        return (weekday in self.days and minute >= self.start_min) or (
            yesterday in self.days and minute < self.end_min
        )


@dataclass(frozen=True)
class Schedule:
    """When something holds: always, or inside named time windows or explicit periods."""

    always: bool = False
    windows: tuple[str, ...] = ()
    periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Rostered:
    """The office file's fallback for a fixed place: who sits there, and when."""

    person_id: str
    when: Schedule = Schedule(always=True)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    never_alone: bool = False  # req. 35: one person checked in here alone is a warning


@dataclass(frozen=True)
class Police:
    """Expected police response; the validator asks for local help when it is far."""

    eta_min: int
    in_building: bool = False
    far_after_min: int = DEFAULT_POLICE_FAR_AFTER_MIN
    phone: str | None = None

    @property
    def far(self) -> bool:
        return self.eta_min > self.far_after_min


@dataclass(frozen=True)
class Agency:
    """A co-located or nearby service that can help, or must be told (neighbour help)."""

    id: str
    name: str
    contact: str
    phone: str | None = None


@dataclass(frozen=True)
class GuardService:
    """The guard company; `people` are its guards with a handset in this office file."""

    company: str
    on_duty: Schedule = Schedule()
    contact: str | None = None
    phone: str | None = None
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterventionPolicy:
    """The office's word on physical intervention, shown to role holders (default: not expected)."""

    text: str
    physical_intervention_expected: bool = False
    suitable_staff: bool = False
    legal_reference: str | None = None


@dataclass(frozen=True)
class Reception:
    public: bool = True
    floor_hosts: bool = False
    staffed_alone: Schedule = Schedule()


@dataclass(frozen=True)
class Delegation:
    """`to_person` acts for `from_person` from `start` to `end`, both days included."""

    from_person: str
    to_person: str
    start: date
    end: date

    def active_on(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Share:
    """This office's alarms are shown to another office in the building: `notify`, its handsets
    get each alarm as a notice labelled with this office as the owner; `offer_role`, its present
    staff are also offered `role_id` in the alarm (as `office:person`, an id of their own)."""

    office_id: str
    policy: str = "notify"
    role_id: str | None = None

    @property
    def offers_role(self) -> bool:
        return self.policy == "offer_role" and self.role_id is not None


def guest_id(office_id: str, person_id: str) -> str:
    """A person of another office inside this office's alarm; ':' is never part of an id."""
    return f"{office_id}:{person_id}"


def split_guest(person_id: str) -> tuple[str, str] | None:
    office, sep, person = person_id.partition(":")
    return (office, person) if sep else None


@dataclass(frozen=True)
class OfficeFacts:
    """Everything about the office that is not a role: read by the rules and by dispatch."""

    police: Police | None = None
    agencies: tuple[Agency, ...] = ()
    guard: GuardService | None = None
    max_people_per_alarm: int | None = None
    intervention_policy: InterventionPolicy | None = None
    reception: Reception = Reception()
    sites: tuple[Site, ...] = ()
    time_windows: Mapping[str, tuple[Period, ...]] = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE
    sharing: tuple[Share, ...] = ()
