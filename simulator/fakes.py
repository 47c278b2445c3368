"""In-memory ports and a manual clock, so scenarios run the real Dispatcher fast and repeatably."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.notify import DeliveryReport, ExternalAlert
from app.service.ports import AlarmStore
from simulator.memory_store import FakeAlarmStore

Callback = Callable[[], Awaitable[None] | None]


@dataclass(order=True)
class Timer:
    when: datetime
    order: int
    callback: Callback = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time moves only when told; due callbacks run in time order (ties: the order armed).

    A callback may return an awaitable (a simulated person acting); it is awaited before the
    next one runs, and the tasks it started are given the chance to finish.
    """

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._timers: list[Timer] = []
        self._order = 0

    def now(self) -> datetime:
        return self._now

    def call_at(self, when: datetime, callback: Callback) -> Timer:
        self._order += 1
        timer = Timer(when, self._order, callback)
        self._timers.append(timer)
        return timer

    @property
    def pending(self) -> list[datetime]:
        return sorted(t.when for t in self._timers if not t.cancelled)

    async def run_until(self, target: datetime) -> None:
        """Fire every callback due up to `target`, in order, then stand at `target`."""
        while True:
            due = [t for t in self._timers if not t.cancelled and t.when <= target]
            if not due:
                break
            timer = min(due)
            self._timers.remove(timer)
            self._now = max(self._now, timer.when)
            result = timer.callback()
            if inspect.isawaitable(result):
                await result
            await settle()
        self._now = max(self._now, target)
        await settle()

    async def advance(self, seconds: float) -> None:
        await self.run_until(self._now + timedelta(seconds=seconds))


async def settle(rounds: int = 100) -> None:
    """Give spawned tasks a chance to finish (they only await in-memory fakes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


MemoryAlarmStore = FakeAlarmStore  # the one in-memory store (simulator/memory_store.py)


@dataclass(frozen=True)
class Push:
    """One frame the service queued for people's handsets, with the clock's time."""

    at: datetime
    kind: str
    alarm_id: str
    person_ids: tuple[str, ...] = ()
    role_id: str | None = None


OfferListener = Callable[[AlarmState, str, str], None]


class RecordingNotifier:
    """The HandsetNotifier port: records every push; offers also go to `listener` (the
    simulated handsets), synchronously, as the real hub queues frames."""

    def __init__(self, clock: ManualClock, listener: OfferListener | None = None) -> None:
        self._clock = clock
        self.listener = listener
        self.pushes: list[Push] = []

    def _record(
        self, kind: str, state: AlarmState, people: Sequence[str] = (), role: str = ""
    ) -> None:
        at = self._clock.now()
        self.pushes.append(Push(at, kind, state.alarm_id, tuple(people), role or None))

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        self._record("offer", state, (person_id,), role_id)
        if self.listener is not None:
            self.listener(state, person_id, role_id)

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None:
        self._record("notice", state, person_ids)

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        self._record("shared", state, office_ids)

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        self._record("update", state)

    def closed(self, state: AlarmState, office: Office) -> None:
        self._record("closed", state)

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None:
        self._record("lockdown", state)

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None:
        self._record("assembly", state, person_ids, role_id)

    def reminder(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str], kind: str
    ) -> None:
        self._record(f"reminder:{kind}", state, person_ids, role_id)

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        self._record(f"presser:{feedback}", state, (person_id,))


class RecordingFeedback:
    """The FeedbackPort: what the presser's device would have been told."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.commands: list[tuple[str, bytes]] = []

    async def send(self, device_id: str, payload: dict[str, Any]) -> None:
        self.sent.append((device_id, payload))

    async def send_command(self, topic: str, payload: bytes) -> None:
        self.commands.append((topic, payload))


class RecordingExternal:
    """The ExternalNotifier port: every alert is recorded and reported delivered."""

    def __init__(self) -> None:
        self.alerts: list[ExternalAlert] = []

    async def notify(self, alert: ExternalAlert) -> DeliveryReport:
        self.alerts.append(alert)
        return DeliveryReport.all_delivered(alert.contacts)


if TYPE_CHECKING:
    _implements_the_port: type[AlarmStore] = MemoryAlarmStore
