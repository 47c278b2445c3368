"""A timeline that cannot be folded is reported, not a crash: at start-up, in the API, in lists.

A timeline written by two processes at once (issue 12, fault B) can start with `RoleAccepted`
or name a role its card never had; folding it raises. The service then keeps running, logs the
alarm and the reason once, and shows the reason wherever the alarm is listed.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from app.core import events as ev
from app.core.alarm import AlarmState, evolve

log = structlog.get_logger(__name__)


class UnreadableTimeline(ValueError):
    """The events do not fold into an alarm; `reason` names the event and its place."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fold_checked(events: Iterable[ev.Event]) -> AlarmState | None:
    """`fold`, with a failure turned into UnreadableTimeline that says which event broke it."""
    state: AlarmState | None = None
    for place, event in enumerate(events, start=1):
        try:
            state = evolve(state, event)
        except (ValueError, KeyError) as err:
            name = type(event).__name__
            raise UnreadableTimeline(f"event {place} ({name}) cannot be applied: {err}") from None
    return state


class TimelineProblems:
    """Alarms whose timelines could not be folded, with the reason, as found so far."""

    def __init__(self) -> None:
        self._found: dict[str, str] = {}

    def found(self, alarm_id: str, reason: str) -> None:
        if self._found.get(alarm_id) != reason:
            log.error("alarm timeline cannot be folded", alarm_id=alarm_id, reason=reason)
        self._found[alarm_id] = reason

    def of(self, alarm_id: str) -> str | None:
        return self._found.get(alarm_id)
