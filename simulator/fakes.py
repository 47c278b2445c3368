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


OfferListener = Callable[[AlarmState, str, str], None]


class RecordingNotifier:
    """The HandsetNotifier port: records every frame the service would push, in order, as
    `(kind, details)`; offers also go to `listener` (the simulated handsets), synchronously, as
    the real hub queues frames. The one recording notifier of the scenarios and the tests."""

    def __init__(self, listener: OfferListener | None = None) -> None:
        self.listener = listener
        self.sent: list[tuple[str, Any]] = []
        self.updated: list[AlarmState] = []  # the state each update carried, in order

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None:
        self.sent.append(("offer", (state.alarm_id, person_id, role_id)))
        if self.listener is not None:
            self.listener(state, person_id, role_id)

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None:
        self.sent.append(("notice", (state.alarm_id, tuple(person_ids))))

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        self.sent.append(("shared", (state.alarm_id, tuple(office_ids))))

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None:
        self.sent.append(("update", state.alarm_id))
        self.updated.append(state)

    def closed(self, state: AlarmState, office: Office) -> None:
        self.sent.append(("closed", state.alarm_id))

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None:
        self.sent.append(("lockdown", (state.alarm_id, on)))

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None:
        self.sent.append(("assembly", (state.alarm_id, role_id, tuple(person_ids))))

    def reminder(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str], kind: str
    ) -> None:
        self.sent.append(("reminder", (state.alarm_id, role_id, tuple(person_ids), kind)))

    def offers(self) -> list[tuple[str, str, str]]:
        """(alarm id, person, role) of every offer, in order."""
        return [details for kind, details in self.sent if kind == "offer"]

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        self.sent.append(("presser", (state.alarm_id, person_id, feedback)))


class RecordingFeedback:
    """The FeedbackPort: what the presser's device would have been told (native feedback by
    device id in `sent`, family commands by topic in `commands`)."""

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
