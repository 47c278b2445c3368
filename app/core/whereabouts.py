"""Who is where: the person checked in at a desk or room, the person a worn trigger is checked
out to (and the room it was taken to), and the office file's roster as the fallback.

A fixed button does not say who pressed it; the person at its place does. Knowing her means
she is never offered a role in her own alarm, gets discreet feedback on her handset and is on
the after-care list. Pure: the service keeps what the handsets said and hands a snapshot (with
expired check-ins already dropped) to each decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from app.core.office import Office, Trigger, TriggerKind
from app.core.schedule import schedule_holds_at


@dataclass(frozen=True)
class CheckIn:
    """A person at a desk or in a room, until she checks out, goes off duty or `until` passes."""

    person_id: str
    location_id: str
    since: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class Carry:
    """A worn trigger checked out to a person for a shift or one conversation (`location_id`:
    the room it was taken to, so its press reports "P, room R")."""

    device_id: str
    person_id: str
    location_id: str | None
    since: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class Whereabouts:
    check_ins: tuple[CheckIn, ...] = ()
    carried: tuple[Carry, ...] = ()

    def at(self, location_id: str) -> tuple[str, ...]:
        """People checked in at a place, the latest first."""
        here = sorted(
            (c for c in self.check_ins if c.location_id == location_id),
            key=lambda c: c.since,
            reverse=True,
        )
        return tuple(c.person_id for c in here)

    def carry_of(self, device_id: str) -> Carry | None:
        return next((c for c in self.carried if c.device_id == device_id), None)

    def place_of(self, person_id: str) -> str | None:
        return next((c.location_id for c in self.check_ins if c.person_id == person_id), None)

    def carrying(self, person_id: str) -> tuple[str, ...]:
        return tuple(c.device_id for c in self.carried if c.person_id == person_id)


NOWHERE = Whereabouts()  # nobody checked in, no trigger checked out


class PresserSource(StrEnum):
    """How the service knows who pressed: shown on the console and kept in the record."""

    HOLDER = "holder"  # the worn trigger's holder in the office file
    CARRIED = "carried"  # the worn trigger was checked out to her
    CHECKED_IN = "checked_in"  # she checked in at the fixed button's desk or room
    ROSTER = "roster"  # nobody checked in: the office file's roster for that place and hour
    OUTREACH = "outreach"  # the worker of the outreach session that raised the alarm


@dataclass(frozen=True)
class PresserFound:
    person_id: str | None
    via: PresserSource | None
    location_id: str


def placed(trigger: Trigger, where: Whereabouts) -> Trigger:
    """The trigger as its press should be read: a worn trigger checked out to someone reports
    from the room it was taken to, and that person holds it."""
    if trigger.kind is not TriggerKind.WORN:
        return trigger
    carry = where.carry_of(trigger.device_id)
    if carry is None:
        return trigger
    return replace(
        trigger, holder_id=carry.person_id, location_id=carry.location_id or trigger.location_id
    )


def find_presser(
    office: Office, trigger: Trigger, where: Whereabouts, local: datetime | None
) -> PresserFound:
    """Who pressed: a worn trigger's carrier or holder; for a fixed button, the person checked in
    at its place (the latest), else whoever the roster puts there now; else unknown."""
    if trigger.kind is TriggerKind.WORN:
        carry = where.carry_of(trigger.device_id)
        if carry is not None:
            location = carry.location_id or trigger.location_id
            return PresserFound(carry.person_id, PresserSource.CARRIED, location)
        via = PresserSource.HOLDER if trigger.holder_id else None
        return PresserFound(trigger.holder_id, via, trigger.location_id)
    here = where.at(trigger.location_id)
    if here:
        return PresserFound(here[0], PresserSource.CHECKED_IN, trigger.location_id)
    rostered = rostered_at(office, trigger.location_id, local)
    if rostered:
        return PresserFound(rostered[0], PresserSource.ROSTER, trigger.location_id)
    return PresserFound(None, None, trigger.location_id)


def rostered_at(office: Office, location_id: str, local: datetime | None) -> tuple[str, ...]:
    """Who the office file's roster puts at a place at this office-local time."""
    location = office.locations.get(location_id)
    if location is None or local is None:
        return ()
    windows = office.facts.time_windows
    return tuple(r.person_id for r in location.roster if schedule_holds_at(r.when, windows, local))
