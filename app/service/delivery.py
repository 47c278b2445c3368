"""Offers reach phones by two channels, and the service knows which did.

`ReachingNotifier` is the handset port the dispatcher's effects run through: every offer goes to
the person's open sockets and, encrypted, to every phone of theirs that subscribed to Web Push;
lockdown notices and alarm closes go by push too. `OfferTracker` waits a few seconds for a phone
to confirm each offer (a socket `received` frame or a push receipt) and otherwise reports it
as not delivered, so the role moves on instead of waiting for a phone that never showed it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.clock import Cancellable, Clock
from app.service.ports import HandsetNotifier
from app.service.push import PushService, SentPush

log = structlog.get_logger(__name__)

Reached = Callable[[str, str, str, str, str], Coroutine[Any, Any, None]]
Missed = Callable[[str, str, str, str], Coroutine[Any, Any, None]]

PENDING, REACHED, MISSED = "pending", "reached", "missed"


async def _nothing(*_: Any) -> None:
    return None


class OfferTracker:
    def __init__(self, clock: Clock, wait: timedelta) -> None:
        self._clock = clock
        self.wait = wait
        self.on_reached: Reached = _nothing  # (office, alarm, role, person, channel)
        self.on_missed: Missed = _nothing  # (office, alarm, role, person)
        # alarm → (role, person) → its state and its wait: a closing alarm's are found without
        # a scan of every offer of every open alarm
        self._state: dict[str, dict[tuple[str, str], str]] = {}
        self._timers: dict[str, dict[tuple[str, str], Cancellable]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def expect(self, office_id: str, alarm_id: str, role_id: str, person_id: str) -> None:
        offer, states = (role_id, person_id), self._state.setdefault(alarm_id, {})
        if states.get(offer) in (PENDING, REACHED):
            return  # asked again (an arrival, a snapshot): the first wait still runs
        states[offer] = PENDING
        due = self._clock.now() + self.wait
        expired = lambda: self._expired(office_id, alarm_id, offer)  # noqa: E731
        self._timers.setdefault(alarm_id, {})[offer] = self._clock.call_at(due, expired)

    def confirmed(
        self, office_id: str, alarm_id: str, role_id: str, person_id: str, channel: str
    ) -> None:
        """A phone showed the offer. Recorded once per offer, also when it comes late."""
        offer, states = (role_id, person_id), self._state.setdefault(alarm_id, {})
        if states.get(offer) == REACHED:
            return
        states[offer] = REACHED
        timer = self._timers.get(alarm_id, {}).pop(offer, None)
        if timer is not None:
            timer.cancel()
        self._spawn(self.on_reached(office_id, alarm_id, role_id, person_id, channel))

    def status(self, alarm_id: str, role_id: str, person_id: str) -> str | None:
        return self._state.get(alarm_id, {}).get((role_id, person_id))

    def forget(self, alarm_id: str) -> None:
        self._state.pop(alarm_id, None)
        for timer in self._timers.pop(alarm_id, {}).values():
            timer.cancel()

    def close(self) -> None:
        for timers in self._timers.values():
            for timer in timers.values():
                timer.cancel()
        self._timers.clear()

    def _expired(self, office_id: str, alarm_id: str, offer: tuple[str, str]) -> None:
        self._timers.get(alarm_id, {}).pop(offer, None)
        states = self._state.get(alarm_id, {})
        if states.get(offer) != PENDING:
            return
        states[offer] = MISSED
        role_id, person_id = offer
        log.warning("offer not confirmed by any phone", alarm_id=alarm_id, role_id=role_id)
        self._spawn(self.on_missed(office_id, alarm_id, role_id, person_id))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class ReachingNotifier:
    """HandsetNotifier over both channels: sockets (the hub) and Web Push."""

    def __init__(
        self,
        sockets: HandsetNotifier,
        push: PushService,
        tracker: OfferTracker,
        unconfirmable: Callable[[str, str], bool],
    ) -> None:
        self._sockets = sockets
        self._push = push
        self._tracker = tracker
        self._unconfirmable = unconfirmable  # (office, person): a v1 client that sends no receipts
        push.listeners.append(self._receipt)

    def _receipt(self, sent: SentPush, _at: datetime) -> None:
        if sent.kind == "offer" and sent.alarm_id and sent.role_id and sent.person_id:
            office = sent.alarm_office_id or sent.office_id
            self._tracker.confirmed(office, sent.alarm_id, sent.role_id, sent.person_id, "push")

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        self._sockets.offer(state, office, person_id, role_id)
        self._push.offer(state, office, person_id, role_id)
        if not self._unconfirmable(office.id, person_id):
            # a plain v1 client is trusted as before; every other offer must be confirmed
            self._tracker.expect(office.id, state.alarm_id, role_id, person_id)

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None:
        self._sockets.notice(state, office, person_ids)

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        self._sockets.update(state, office, last)

    def closed(self, state: AlarmState, office: Office) -> None:
        self._sockets.closed(state, office)
        body = {"alarm_id": state.alarm_id, "outcome": state.status.value}
        for target in (office.id, *(s.office_id for s in office.facts.sharing)):
            self._push.to_office(target, "closed", body)
        self._tracker.forget(state.alarm_id)

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None:
        self._sockets.lockdown(state, office, on)
        kind = "lockdown" if on else "lockdown_lifted"
        body = {"alarm_id": state.alarm_id, "office_name": office.name}
        self._push.to_office(office.id, kind, body)

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None:
        self._sockets.assembly(state, office, role_id, person_ids)

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        self._sockets.shared(state, office, office_ids)

    def reminder(
        self,
        state: AlarmState,
        office: Office,
        role_id: str,
        person_ids: Sequence[str],
        kind: str,
    ) -> None:
        self._sockets.reminder(state, office, role_id, person_ids, kind)

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        """The presser's quiet card goes by socket only: a push would light up her screen."""
        self._sockets.presser(state, office, person_id, feedback)
