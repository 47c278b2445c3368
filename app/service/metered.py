"""Offers and the time to the first accept, counted where the dispatcher hands them to handsets.

A wrapper around the HandsetNotifier port, so the dispatcher and the hub stay as they are: every
offer pushed counts once per office, and the update that follows an alarm's first accepted role
gives the time from the press to that accept (the dashboard's "time to first accept").
"""

from __future__ import annotations

from typing import Any

from app.core import events as ev
from app.core.alarm import AlarmState, SlotStatus
from app.core.office import Office
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.ports import HandsetNotifier


class MeteredNotifier:
    """The HandsetNotifier it wraps, plus `rollekort_offers_total` and
    `rollekort_first_accept_seconds`; every other call passes straight through."""

    def __init__(self, inner: HandsetNotifier, metrics: Metrics, clock: Clock) -> None:
        self._inner, self._metrics, self._clock = inner, metrics, clock

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        self._metrics.offers.labels(office.id).inc()
        self._inner.offer(state, office, person_id, role_id)

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        if isinstance(last, ev.RoleAccepted) and _people_accepted(state) == 1:
            waited = (self._clock.now() - state.raised_at).total_seconds()
            self._metrics.first_accept_seconds.labels(office.id).observe(max(waited, 0.0))
        self._inner.update(state, office, last)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _people_accepted(state: AlarmState) -> int:
    """How many acceptances the alarm has (an all-respond role counts each responder)."""
    return sum(
        max(len(slot.responders), 1) for slot in state.slots if slot.status is SlotStatus.ACCEPTED
    )
