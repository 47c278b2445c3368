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
class Coverage:
    office_id: str
    status: CoverageStatus
    reasons: tuple[str, ...]

    @property
    def degraded(self) -> bool:
        return self.status is CoverageStatus.DEGRADED


def trigger_problems(
    office: Office, health: Mapping[str, DeviceHealth], now: datetime
) -> list[str]:
    problems: list[str] = []
    for trigger in office.triggers.values():
        h = health.get(trigger.device_id, DeviceHealth(trigger.device_id))
        silent = SILENT_AFTER.get(trigger.family, SILENT_AFTER["native"])
        name = f"{trigger.device_id} ({office.locations[trigger.location_id].name})"
        if h.online is False:
            problems.append(f"{name} is offline")
        elif h.last_seen is None or now - h.last_seen > silent:
            problems.append(f"{name} has not been heard from for over {_span(silent)}")
        if h.battery is not None and h.battery < LOW_BATTERY:
            problems.append(f"{name} battery is low ({h.battery} %)")
        if h.tamper:
            problems.append(f"{name} reports tampering")
        if h.counter_reset_at is not None and now - h.counter_reset_at < COUNTER_RESET_SHOWN:
            problems.append(f"{name} press counter went backwards (restarted without a boot id)")
    return problems


def role_problems(office: Office, present: frozenset[str]) -> list[str]:
    """A required role whose named people are all absent (a role for everyone needs anyone)."""
    problems: list[str] = []
    for role in office.rolecard.roles:
        named = office.named_for(role)
        if role.required and named and not any(p in present for p in named):
            problems.append(f"nobody present for the required role {role.title!r}")
    if office.rolecard.roles and not present:
        problems.append("no handset is connected: an alarm would reach nobody")
    return problems


def lone_reception_problems(
    office: Office, health: Mapping[str, DeviceHealth], present: frozenset[str], local: datetime
) -> list[str]:
    reception = office.facts.reception
    if not schedule_holds_at(reception.staffed_alone, office.facts.time_windows, local):
        return []
    problems = []
    worn = [
        t
        for t in office.triggers.values()
        if t.kind is TriggerKind.WORN
        and t.holder_id is not None
        and health.get(t.device_id, DeviceHealth(t.device_id)).online is not False
    ]
    if not worn:
        problems.append("reception is staffed alone and no worn trigger is on the receptionist")
    responders = {p for p in present if p not in {t.holder_id for t in worn}}
    if not responders:
        problems.append("reception is staffed alone and no responder is present")
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
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes >= 120 else f"{minutes} min"
