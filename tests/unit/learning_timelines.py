"""Hand-written alarm timelines for the learning tests: an alarm at an instant, in a mode, with
roles accepted after so many seconds, closed by an all-clear or a cancel, or left open."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from app.core import events as ev
from app.core.office import AlarmMode, Gesture, Level
from app.service.ports import AlarmSummary

ROLES = ("leader", "guard", "police-contact")
PEOPLE = {"leader": "lise", "guard": "gro", "police-contact": "per"}


def timeline(
    alarm_id: str,
    at: datetime,
    *,
    mode: AlarmMode = AlarmMode.REAL,
    accepts: Mapping[str, float] | None = None,
    clear_after: float | None = 120.0,
    cancel_after: float | None = None,
    roles: tuple[str, ...] = ROLES,
    help_from: str | None = None,
    presser: str | None = None,
    office_id: str = "demo",
) -> list[ev.Event]:
    """Press at `at`, offers 0.1 s later (due 20 s after), accepts `{role: seconds}`."""

    def t(s: float) -> datetime:
        return at + timedelta(seconds=s)

    events: list[ev.Event] = [
        ev.PressReceived(
            at=at, actor="device:desk-1", device_id="desk-1", seq=1, gesture=Gesture.SINGLE
        ),
        ev.AlarmRaised(
            at=t(0.01),
            actor="system",
            alarm_id=alarm_id,
            office_id=office_id,
            device_id="desk-1",
            location_id="reception",
            level=Level.ASSIST,
            mode=mode,
            rolecard_version="2026-11-01",
            role_ids=roles,
            presser_id=presser,
        ),
    ]
    for role in roles:
        events.append(
            ev.RoleOffered(
                at=t(0.1), actor="system", role_id=role, person_ids=(PEOPLE.get(role, role),),
                stage="holder", offer_no=1, due_at=t(20.1),
            )
        )  # fmt: skip
    for role, s in sorted((accepts or {}).items(), key=lambda kv: kv[1]):
        person = PEOPLE.get(role, role)
        events.append(
            ev.RoleAccepted(at=t(s), actor=f"person:{person}", role_id=role, person_id=person)
        )
    if help_from is not None:
        events.append(ev.HelpRequested(at=t(30), actor=f"person:{help_from}", person_id=help_from))
    if cancel_after is not None:
        events.append(
            ev.AlarmCancelled(at=t(cancel_after), actor="device:desk-1", device_id="desk-1", seq=2)
        )
    elif clear_after is not None:
        events.append(
            ev.AllClearGiven(
                at=t(clear_after), actor="person:lise", person_id="lise", role_id="leader"
            )
        )
    return events


def summary_of(events: list[ev.Event]) -> AlarmSummary:
    raised = next(e for e in events if isinstance(e, ev.AlarmRaised))
    end = next((e for e in events if isinstance(e, ev.AllClearGiven | ev.AlarmCancelled)), None)
    status = "open"
    if isinstance(end, ev.AllClearGiven):
        status = "resolved"
    elif isinstance(end, ev.AlarmCancelled):
        status = "cancelled"
    return AlarmSummary(
        alarm_id=raised.alarm_id,
        office_id=raised.office_id,
        device_id=raised.device_id,
        location_id=raised.location_id,
        status=status,
        level=raised.level.value,
        mode=raised.mode.value,
        raised_at=raised.at,
        closed_at=end.at if end else None,
        rolecard_version=raised.rolecard_version,
    )
