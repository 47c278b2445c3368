"""The dispatcher: load → decide → apply → act, one office at a time, durably.

For a press, the offers go to the handsets as soon as the decision is made, while the journal
writes it; the caller (the MQTT intake) awaits the write before it acknowledges, so a crash
before the commit makes the broker deliver the press again, and the same press always yields
the same alarm id. Handset answers are written first and acted on after.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import structlog

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, SlotStatus, evolve
from app.core.assignment import DispatchContext
from app.core.office import Gesture, Office
from app.core.transitions import Decision, InvalidTransition, decide
from app.service.clock import Cancellable, Clock
from app.service.journal import Journal
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, AlarmSummary, FeedbackPort, HandsetNotifier, PressKey
from app.service.presence import Presence

log = structlog.get_logger(__name__)


def alarm_id_for(key: PressKey) -> str:
    """The same press always names the same alarm, so a redelivery cannot raise a second one."""
    digest = hashlib.sha256(f"{key.device_id}|{key.seq}|{key.device_ts}".encode()).hexdigest()
    return f"a-{digest[:20]}"


class UnknownAlarm(InvalidTransition):
    def __init__(self, alarm_id: str) -> None:
        super().__init__("unknown_alarm", f"no open alarm {alarm_id!r} in your office")


class Dispatcher:
    def __init__(
        self,
        *,
        offices: OfficeDirectory,
        store: AlarmStore,
        clock: Clock,
        presence: Presence,
        notifier: HandsetNotifier,
        feedback: FeedbackPort,
        metrics: Metrics,
    ) -> None:
        self._offices = offices
        self._store = store
        self._clock = clock
        self._presence = presence
        self._notifier = notifier
        self._feedback = feedback
        self._metrics = metrics
        self._journal = Journal(store)
        self._open: dict[str, AlarmState] = {}
        self._open_by_device: dict[str, str] = {}
        self._seen: dict[PressKey, asyncio.Future[None]] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._timers: dict[tuple[str, str], Cancellable] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- start-up and shutdown ----------------------------------------------------------

    async def recover(self, dedupe_since: datetime) -> int:
        """Rebuild open alarms from their timelines and re-arm their deadlines."""
        loop = asyncio.get_running_loop()
        for key in await self._store.press_keys_since(dedupe_since):
            done: asyncio.Future[None] = loop.create_future()
            done.set_result(None)
            self._seen[key] = done
        for alarm_id in await self._store.open_alarm_ids():
            state: AlarmState | None = None
            for stored in await self._store.events(alarm_id):
                state = evolve(state, stored.event)
            if state is None or state.office_id not in self._offices.offices:
                log.error("cannot recover alarm", alarm_id=alarm_id)
                continue
            self._remember(state)
            self._arm_all(state)
        self._metrics.open_alarms.set(len(self._open))
        log.info("recovered", open_alarms=len(self._open), press_keys=len(self._seen))
        return len(self._open)

    async def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        await self._journal.close()

    # -- what handsets and the API read ------------------------------------------------

    def open_alarms(self, office_id: str) -> list[AlarmState]:
        return [s for s in self._open.values() if s.office_id == office_id]

    def open_alarm(self, alarm_id: str) -> AlarmState | None:
        return self._open.get(alarm_id)

    @property
    def journal_backlog(self) -> int:
        return self._journal.backlog

    # -- presses -----------------------------------------------------------------------

    async def press(
        self,
        office: Office,
        key: PressKey,
        gesture: Gesture,
        device_ts: datetime | None = None,
        battery: int | None = None,
    ) -> str | None:
        """Raise (or repeat) an alarm; returns once it is durable. None for a duplicate."""
        if key in self._seen:
            self._metrics.duplicates.inc()
            log.info("duplicate press ignored", device_id=key.device_id, seq=key.seq)
            await asyncio.shield(self._seen[key])
            return None
        started = time.perf_counter()
        async with self._locks[office.id]:
            alarm_id = self._open_by_device.get(key.device_id) or alarm_id_for(key)
            command = cmd.RaiseAlarm(
                alarm_id=alarm_id,
                device_id=key.device_id,
                seq=key.seq,
                gesture=gesture,
                device_ts=device_ts,
                battery=battery,
            )
            state, decision = self._decide(office, self._open.get(alarm_id), command)
            self._push(state, office, decision)
            self._metrics.dispatch_seconds.observe(time.perf_counter() - started)
            written = self._write(state, decision, key)
            self._seen[key] = written
        await asyncio.shield(written)
        self._metrics.commit_seconds.observe(time.perf_counter() - started)
        if any(isinstance(e, ev.AlarmRaised) for e in decision.events):
            self._metrics.alarms.labels(office.id, state.mode.value).inc()
        self._send_feedback(decision)
        return alarm_id

    async def cancel(self, office: Office, key: PressKey) -> str | None:
        """The presser withdraws: closes the device's open alarm within the window."""
        if key in self._seen:
            self._metrics.duplicates.inc()
            await asyncio.shield(self._seen[key])
            return None
        alarm_id = self._open_by_device.get(key.device_id)
        if alarm_id is None:
            log.warning("cancel without an open alarm", device_id=key.device_id, seq=key.seq)
            return None
        command = cmd.CancelAlarm(device_id=key.device_id, seq=key.seq)
        await self._execute(office, alarm_id, command, press=key)
        return alarm_id

    async def button_test(self, key: PressKey) -> None:
        """A routine test press: recorded, nobody dispatched."""
        await self._store.record_button_test(key.device_id, key.seq, self._clock.now())
        self._metrics.button_tests.inc()

    # -- handset answers and the clock -------------------------------------------------

    async def handle(self, office: Office, alarm_id: str, command: cmd.Command) -> None:
        """Apply a handset's command; raises InvalidTransition with a code the handset sees."""
        await self._execute(office, alarm_id, command)

    async def person_arrived(self, office: Office, person_id: str) -> None:
        """Someone's handset connected: offer them the open roles they could take."""
        for state in self.open_alarms(office.id):
            try:
                await self._execute(office, state.alarm_id, cmd.JoinAlarm(person_id=person_id))
            except InvalidTransition as err:
                log.info("arrival changes nothing", alarm_id=state.alarm_id, reason=err.message)

    async def expire(self, office_id: str, alarm_id: str, role_id: str, offer_no: int) -> None:
        self._timers.pop((alarm_id, role_id), None)
        if alarm_id not in self._open:
            return
        command = cmd.ExpireOffer(role_id=role_id, offer_no=offer_no)
        try:
            await self._execute(self._offices.office(office_id), alarm_id, command)
        except InvalidTransition as err:
            log.info("deadline no longer applies", alarm_id=alarm_id, reason=err.message)

    async def _execute(
        self, office: Office, alarm_id: str, command: cmd.Command, press: PressKey | None = None
    ) -> None:
        async with self._locks[office.id]:
            current = self._open.get(alarm_id)
            if current is None or current.office_id != office.id:
                raise UnknownAlarm(alarm_id)
            state, decision = self._decide(office, current, command)
            if not decision.events:
                return
            written = self._write(state, decision, press)
            if press is not None:
                self._seen[press] = written
            await asyncio.shield(written)
            self._push(state, office, decision)
        self._send_feedback(decision)

    # -- the steps ---------------------------------------------------------------------

    def _decide(
        self, office: Office, state: AlarmState | None, command: cmd.Command
    ) -> tuple[AlarmState, Decision]:
        ctx = DispatchContext(office=office, present=self._presence.present())
        decision = decide(state, command, ctx, self._clock.now())
        after = decision.state
        assert after is not None
        self._remember(after)
        return after, decision

    def _remember(self, state: AlarmState) -> None:
        if state.status is AlarmStatus.OPEN:
            self._open[state.alarm_id] = state
            self._open_by_device[state.device_id] = state.alarm_id
        else:
            self._open.pop(state.alarm_id, None)
            if self._open_by_device.get(state.device_id) == state.alarm_id:
                del self._open_by_device[state.device_id]
        self._metrics.open_alarms.set(len(self._open))

    def _write(
        self, state: AlarmState, decision: Decision, press: PressKey | None
    ) -> asyncio.Future[None]:
        written = self._journal.submit(AlarmSummary.of(state), decision.events, press)
        self._metrics.journal_backlog.set(self._journal.backlog)
        return written

    def _push(self, state: AlarmState, office: Office, decision: Decision) -> None:
        last = decision.events[-1] if decision.events else None
        for effect in decision.effects:
            match effect:
                case fx.PushOffer(person_id=person, role_id=role):
                    self._notifier.offer(state, office, person, role)
                case fx.PushNotice(person_ids=persons):
                    self._notifier.notice(state, office, persons)
                case fx.PushUpdate():
                    self._notifier.update(state, office, last)
                case fx.PushClosed():
                    self._notifier.closed(state, office)
                case fx.PushLockdown(on=on):
                    self._notifier.lockdown(state, office, on)
                case fx.ArmDeadline(role_id=role, offer_no=n, due_at=due):
                    self._arm(state.office_id, state.alarm_id, role, n, due)
        if state.status is not AlarmStatus.OPEN:
            self._disarm(state)

    def _arm_all(self, state: AlarmState) -> None:
        for slot in state.slots:
            if slot.status is SlotStatus.OFFERED and slot.due_at is not None:
                self._arm(state.office_id, state.alarm_id, slot.role_id, slot.offer_no, slot.due_at)

    def _arm(
        self, office_id: str, alarm_id: str, role_id: str, offer_no: int, due: datetime
    ) -> None:
        previous = self._timers.pop((alarm_id, role_id), None)
        if previous is not None:
            previous.cancel()

        def fire() -> None:
            self._spawn(self.expire(office_id, alarm_id, role_id, offer_no))

        self._timers[(alarm_id, role_id)] = self._clock.call_at(due, fire)

    def _disarm(self, state: AlarmState) -> None:
        for slot in state.slots:
            handle = self._timers.pop((state.alarm_id, slot.role_id), None)
            if handle is not None:
                handle.cancel()

    def _send_feedback(self, decision: Decision) -> None:
        for effect in decision.effects:
            if isinstance(effect, fx.SendFeedback):
                payload = {"alarm_id": effect.alarm_id, "state": effect.state.value}
                self._spawn(self._feedback.send(effect.device_id, payload))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
