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

LOW_BATTERY = 20

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
    office: Office, health: Mapping[str, DeviceHealth], present: frozenset[str], local: datetime
) -> list[Problem]:
    reception = office.facts.reception
    if not schedule_holds_at(reception.staffed_alone, office.facts.time_windows, local):
        return []
    problems: list[Problem] = []
    worn = [
        t
        for t in office.triggers.values()
        if t.kind is TriggerKind.WORN
        and t.holder_id is not None
        and health.get(t.device_id, DeviceHealth(t.device_id)).online is not False
    ]
    if not worn:
        text = "reception is staffed alone and no worn trigger is on the receptionist"
        problems.append(Problem.of("alone_no_worn_trigger", text))
    responders = {p for p in present if p not in {t.holder_id for t in worn}}
    if not responders:
        text = "reception is staffed alone and no responder is present"
        problems.append(Problem.of("alone_no_responder", text))
    return problems


def coverage(
    office: Office,
    health: Mapping[str, DeviceHealth],
    present: frozenset[str],
    now: datetime,
    local: datetime,
) -> Coverage:
    reasons = (
        trigger_problems(office, health, now)
        + role_problems(office, present)
        + lone_reception_problems(office, health, present, local)
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
