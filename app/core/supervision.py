"""Is the office protected right now? Device health and coverage, pure: from what the devices
last said, who is present and the time, to OK or DEGRADED with every reason spelled out.

A trigger that goes silent past its family's interval, reports low battery or tamper, or says
it is offline, and a required role with nobody present who could take it, all make the office
DEGRADED; so does a reception staffed alone without a worn trigger on the receptionist and a
present responder. Coverage returns to OK by itself when the causes are gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.core.office import Office, TriggerKind
from app.core.schedule import schedule_holds_at
from app.core.whereabouts import NOWHERE, Whereabouts, placed, rostered_at

LOW_BATTERY = 20
#: How long a press counter that went backwards (a restart without a boot id) stays a problem.
COUNTER_RESET_SHOWN = timedelta(hours=1)

#: How long a trigger of each family may stay silent before it counts as gone: native buttons
#: send a retained status and a heartbeat; battery Zigbee buttons report only every few hours.
SILENT_AFTER: Mapping[str, timedelta] = {
    "native": timedelta(minutes=15),
    "zigbee2mqtt": timedelta(hours=25),
    "tasmota": timedelta(minutes=15),
    "shelly": timedelta(hours=25),
    "esphome": timedelta(minutes=15),
}


class CoverageStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"


@dataclass(frozen=True)
class DeviceHealth:
    device_id: str
    last_seen: datetime | None = None
    online: bool | None = None
    battery: int | None = None
    tamper: bool = False
    last_tested: datetime | None = None
    last_seq: int | None = None  # of the newest native press, with its boot id
    boot: str | None = None
    counter_reset_at: datetime | None = None  # when its press counter last went backwards


@dataclass(frozen=True)
class Problem:
    """One reason the office is not covered, as a code with parameters that a handset renders in
    its own language (docs/protocol.md, "Texts as codes"), and the English text for old clients
    and logs."""

    code: str
    params: tuple[tuple[str, str | int], ...]
    text: str

    @staticmethod
    def of(code: str, text: str, **params: str | int) -> Problem:
        return Problem(code, tuple(params.items()), text.format(**params))


@dataclass(frozen=True)
class Coverage:
    office_id: str
    status: CoverageStatus
    problems: tuple[Problem, ...]

    @property
    def degraded(self) -> bool:
        return self.status is CoverageStatus.DEGRADED

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.problems)


def trigger_problems(
    office: Office, health: Mapping[str, DeviceHealth], now: datetime
) -> list[Problem]:
    problems: list[Problem] = []
    for trigger in office.triggers.values():
        h = health.get(trigger.device_id, DeviceHealth(trigger.device_id))
        silent = SILENT_AFTER.get(trigger.family, SILENT_AFTER["native"])
        where = office.locations[trigger.location_id].name
        name = {"device": trigger.device_id, "location": where}
        if h.online is False:
            text = "{device} ({location}) is offline"
            problems.append(Problem.of("trigger_offline", text, **name))
        elif h.last_seen is None or now - h.last_seen > silent:
            text = "{device} ({location}) has not been heard from for over " + _span(silent)
            span = _span_params(silent)
            code = "trigger_silent_hours" if "hours" in span else "trigger_silent_minutes"
            problems.append(Problem.of(code, text, **name, **span))
        if h.battery is not None and h.battery < LOW_BATTERY:
            text = "{device} ({location}) battery is low ({battery} %)"
            problems.append(Problem.of("trigger_battery_low", text, **name, battery=h.battery))
        if h.tamper:
            text = "{device} ({location}) reports tampering"
            problems.append(Problem.of("trigger_tamper", text, **name))
        if h.counter_reset_at is not None and now - h.counter_reset_at < COUNTER_RESET_SHOWN:
            text = (
                "{device} ({location}) press counter went backwards (restarted without a boot id)"
            )
            problems.append(Problem.of("trigger_counter_reset", text, **name))
    return problems


def role_problems(office: Office, present: frozenset[str]) -> list[Problem]:
    """A required role whose named people are all absent (a role for everyone needs anyone)."""
    problems: list[Problem] = []
    for role in office.rolecard.roles:
        named = office.named_for(role)
        if role.required and named and not any(p in present for p in named):
            text = "nobody present for the required role '{role}'"
            problems.append(Problem.of("role_absent", text, role=role.title))
    if office.rolecard.roles and not present:
        text = "no handset is connected: an alarm would reach nobody"
        problems.append(Problem.of("no_handset", text))
    return problems


def lone_reception_problems(
    office: Office,
    health: Mapping[str, DeviceHealth],
    present: frozenset[str],
    local: datetime,
    where: Whereabouts = NOWHERE,
) -> list[Problem]:
    """Req. 19: during "staffed alone" hours, whoever sits at the reception desk (checked in, or
    on the roster) must carry a worn trigger that works, and someone else must be present to
    respond. With nobody known at the desk, any worn trigger on a holder will do."""
    reception = office.facts.reception
    if not schedule_holds_at(reception.staffed_alone, office.facts.time_windows, local):
        return []
    desks = [x.id for x in office.locations.values() if x.zone == "public"]
    at_desk = list(
        dict.fromkeys(p for d in desks for p in (where.at(d) or rostered_at(office, d, local)))
    )
    carriers = {
        t.holder_id
        for raw in office.triggers.values()
        if (t := placed(raw, where)).kind is TriggerKind.WORN
        and t.holder_id is not None
        and health.get(t.device_id, DeviceHealth(t.device_id)).online is not False
    }
    problems: list[Problem] = []
    if at_desk:
        for person in at_desk:
            if person not in carriers:
                name = office.people[person].name if person in office.people else person
                text = "reception is staffed alone and {name} carries no worn trigger"
                problems.append(Problem.of("alone_desk_without_worn", text, name=name))
    elif not carriers:
        text = "reception is staffed alone and no worn trigger is on the receptionist"
        problems.append(Problem.of("alone_no_worn_trigger", text))
    alone = set(at_desk) or carriers
    if not {p for p in present if p not in alone}:
        text = "reception is staffed alone and no responder is present"
        problems.append(Problem.of("alone_no_responder", text))
    return problems


def never_alone_problems(office: Office, where: Whereabouts) -> list[Problem]:
    """Req. 35: a site marked "never alone" with exactly one person checked in there."""
    problems: list[Problem] = []
    for site in office.facts.sites:
        if not site.never_alone:
            continue
        here = {c.person_id for c in where.check_ins if _site_of(office, c.location_id) == site.id}
        if len(here) == 1:
            text = "{site} is never to be staffed alone, and one person is there"
            problems.append(Problem.of("site_alone", text, site=site.name))
    return problems


def _site_of(office: Office, location_id: str) -> str | None:
    location = office.locations.get(location_id)
    return location.site if location else None


def coverage(
    office: Office,
    health: Mapping[str, DeviceHealth],
    present: frozenset[str],
    now: datetime,
    local: datetime,
    where: Whereabouts = NOWHERE,
) -> Coverage:
    reasons = (
        trigger_problems(office, health, now)
        + role_problems(office, present)
        + lone_reception_problems(office, health, present, local, where)
        + never_alone_problems(office, where)
    )
    status = CoverageStatus.DEGRADED if reasons else CoverageStatus.OK
    return Coverage(office.id, status, tuple(reasons))


def untested(
    office: Office, health: Mapping[str, DeviceHealth], now: datetime, days: int
) -> list[str]:
    """Triggers whose last routine test is older than `days` (or that were never tested)."""
    limit = now - timedelta(days=days)
    return [
        t.device_id
        for t in office.triggers.values()
        if (tested := health.get(t.device_id, DeviceHealth(t.device_id)).last_tested) is None
        or tested < limit
    ]


def _span(delta: timedelta) -> str:
    """The span as a template on `_span_params` (hours from two hours up)."""
    return "{hours} h" if delta >= timedelta(minutes=120) else "{minutes} min"


def _span_params(delta: timedelta) -> dict[str, int]:
    minutes = int(delta.total_seconds() // 60)
    return {"hours": minutes // 60} if minutes >= 120 else {"minutes": minutes}
