"""Outreach deadlines and checklist advice, so staff alone outside the office are missed in time.

When a session's missed check-out becomes an alarm, and what its risk checklist advises before
the visit (report 7: "always two"; no visit with a violence history; police along when the
checklist says so). Pure: `now` is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.learning.terms import AlarmReason, SessionStatus

DEFAULT_GRACE_S = 600  # ten minutes past the planned end before a missed check-out is an alarm
MAX_GRACE_S = 2 * 3600
MAX_SESSION_H = 24
OUTREACH_DEVICE = "outreach"  # the worn device an office lists for alarms from outreach


@dataclass(frozen=True)
class Checklist:
    """The short pre-visit risk checklist; booleans only, nothing about the client."""

    person_known_risk: bool = False
    environment_risk: bool = False
    violence_history: bool = False
    police_should_assist: bool = False

    @property
    def any_risk(self) -> bool:
        return self.person_known_risk or self.environment_risk or self.violence_history


def advice(checklist: Checklist, companions: int) -> tuple[str, ...]:
    """Codes the handset shows before the visit; advice, never a block."""
    found: list[str] = []
    if checklist.violence_history:
        found.append("violence_history_meet_at_office")
    if checklist.police_should_assist:
        found.append("police_should_assist")
    if checklist.any_risk and companions == 0:
        found.append("risk_go_two")
    return tuple(found)


def checkout_due_at(planned_end: datetime, grace_s: int) -> datetime:
    return planned_end + timedelta(seconds=grace_s)


def is_overdue(status: SessionStatus, planned_end: datetime, grace_s: int, now: datetime) -> bool:
    """An active session whose planned end plus the grace period has passed."""
    return status is SessionStatus.ACTIVE and now >= checkout_due_at(planned_end, grace_s)


def alarm_key(session_id: str, reason: AlarmReason) -> str:
    """The press key suffix of a session's alarm: one alarm per session and reason, also when
    the service restarts and finds the session overdue again."""
    return f"{session_id}:{reason.value}"
