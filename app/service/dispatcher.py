"""The dispatcher: load → decide → apply → act, one office at a time, durably.

For a press, the offers go to the handsets as soon as the decision is made, while the journal
writes it; the caller (the MQTT intake) awaits the write before it acknowledges, so a crash
before the commit makes the broker deliver the press again, and the same press always yields
the same alarm id. Handset answers are written first and acted on after.

A new alarm's decision is usually made before its press (app.service.prepared): the press only
moves it onto itself (app.core.rebase), and a fresh decision checks it once the alarm is durable.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from app.core import commands as cmd
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, evolve
from app.core.draft import Decision, InvalidTransition
from app.core.facts import guest_id
from app.core.office import AlarmMode, Gesture, Office
from app.core.rebase import moved_state, possible_replay, rebase
from app.core.transitions import decide
from app.service.cards import Acknowledged, AlarmCards
from app.service.clock import Clock
from app.service.effects import EffectRunner
from app.service.journal import Journal
from app.service.metrics import Metrics
from app.service.notify import DeliveryReport, ExternalNotifier, NoNotifier
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, AlarmSummary, FeedbackPort, HandsetNotifier, PressKey
from app.service.prepared import Basis, PreparedRaise, PreparedRaises, minute_of
from app.service.presence import Presence

log = structlog.get_logger(__name__)


def alarm_id_for(key: PressKey) -> str:
    """The same press always names the same alarm, so a redelivery cannot raise a second one."""
    digest = hashlib.sha256(f"{key.device_id}|{key.seq}|{key.device_ts}".encode()).hexdigest()
    return f"a-{digest[:20]}"


@dataclass(frozen=True)
class _Press:
    office: Office
    key: PressKey
    gesture: Gesture
    device_ts: datetime | None
    battery: int | None
    mode: AlarmMode
    started: float  # perf_counter at arrival, for the dispatch and commit histograms


@dataclass(frozen=True)
class _Raised:
    press: _Press
    office: Office
    state: AlarmState
    decision: Decision
    now: datetime
    prepared: PreparedRaise | None  # decided ahead: checked once durable


def _command(press: _Press, alarm_id: str) -> cmd.RaiseAlarm:
    return cmd.RaiseAlarm(
        alarm_id=alarm_id,
        device_id=press.key.device_id,
        seq=press.key.seq,
        gesture=press.gesture,
        device_ts=press.device_ts,
        battery=press.battery,
        mode=press.mode,
    )


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
        external: ExternalNotifier | None = None,
        acknowledged: Acknowledged | None = None,
        on_closed: Callable[[str], Awaitable[object]] | None = None,
        prepare_raises: bool = True,
    ) -> None:
        self._offices = offices
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._presence = presence
        self._acknowledged = acknowledged
        self._journal = Journal(store)
        self._cards = AlarmCards(presence, acknowledged, lambda o: offices.offices.get(o))
        self._effects = EffectRunner(
            notifier=notifier,
            feedback=feedback,
            external=external or NoNotifier(),
            clock=clock,
            on_deadline=self.expire,
            on_reminder=self.remind,
            on_delivery=self.delivered,
        )
        self._open: dict[str, AlarmState] = {}
        self._open_by_device: dict[str, str] = {}
        self._seen: dict[PressKey, asyncio.Future[None]] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._on_closed = on_closed
        self._closing: set[asyncio.Task[None]] = set()
        self._prepared = PreparedRaises(
            decide=self._decide_raise,
            basis=self._basis,
            offices=lambda: offices.offices.values(),
            clock=clock,
            metrics=metrics,
        )
        if prepare_raises:
            presence.watch(self._prepared.stale)
            self._prepared.stale()
        else:
            self._prepared.close()

    # -- start-up and shutdown ----------------------------------------------------------

    async def recover(self, dedupe_since: datetime) -> int:
        """Rebuild open alarms from their timelines and re-arm their deadlines and reminders."""
        loop = asyncio.get_running_loop()
        for key in await self._store.press_keys_since(dedupe_since):
            done: asyncio.Future[None] = loop.create_future()
            done.set_result(None)
            self._seen[key] = done
        for alarm_id in await self._store.open_alarm_ids():
            await self._recover_one(alarm_id)
        self._metrics.open_alarms.set(len(self._open))
        self._prepared.stale()
        log.info("recovered", open_alarms=len(self._open), press_keys=len(self._seen))
        return len(self._open)

    async def _recover_one(self, alarm_id: str) -> None:
        state: AlarmState | None = None
        variants: list[str | None] = []
        for stored in await self._store.events(alarm_id):
            state = evolve(state, stored.event)
            if isinstance(stored.event, ev.AlarmRaised | ev.CardExtended):
                variants.append(stored.event.variant_id)
        if state is None or state.office_id not in self._offices.offices:
            log.error("cannot recover alarm", alarm_id=alarm_id)
            return
        dispatched = self._offices.office_version(state.office_id, state.rolecard_version)
        office = self._cards.rebuild(state, dispatched, variants or [None])
        self._remember(state)
        self._effects.arm_all(state, office)

    async def close(self) -> None:
        await self._prepared.aclose()
        self._effects.close()
        await self._journal.close()

    # -- what handsets and the API read ------------------------------------------------

    def open_alarms(self, office_id: str) -> list[AlarmState]:
        return [s for s in self._open.values() if s.office_id == office_id]

    def open_alarm(self, alarm_id: str) -> AlarmState | None:
        return self._open.get(alarm_id)

    def shared_into(self, office_id: str) -> list[tuple[AlarmState, Office]]:
        """Open alarms of other offices that share their alarms with this one."""
        found = []
        for state in self._open.values():
            origin = self.office_of(state)
            if any(share.office_id == office_id for share in origin.facts.sharing):
                found.append((state, origin))
        return found

    def office_of(self, state: AlarmState) -> Office:
        """The office with the card this alarm was dispatched with."""
        return self._cards.of(state.alarm_id, self._offices.office(state.office_id))

    @property
    def journal_backlog(self) -> int:
        return self._journal.backlog

    # -- presses -----------------------------------------------------------------------

    def press(
        self,
        office: Office,
        key: PressKey,
        gesture: Gesture,
        device_ts: datetime | None = None,
        battery: int | None = None,
        mode: AlarmMode = AlarmMode.REAL,
    ) -> Coroutine[Any, Any, str | None]:
        """Raise (or repeat) an alarm; the coroutine returned completes once it is durable, with
        its id (None for a duplicate). `mode` labels a new alarm as a drill or a test on every
        screen and in the statistics.

        When the office is free the decision is made and the offers handed to the handsets
        before this returns, with no hop through the event loop between a press and its offers
        (that hop, with whatever else is queued on the loop, is most of a press's latency);
        otherwise the coroutine waits for the office's turn first."""
        if key in self._seen:
            return self._duplicate(key)
        press = _Press(office, key, gesture, device_ts, battery, mode, time.perf_counter())
        if self._locks[office.id].locked():
            return self._press_in_turn(press)
        return self._durable(self._raise(press))

    async def _press_in_turn(self, press: _Press) -> str | None:
        async with self._locks[press.office.id]:
            # the same press may have been taken while this one waited for the office
            raised = None if press.key in self._seen else self._raise(press)
        if raised is None:
            await self._duplicate(press.key)
            return None
        return await self._durable(raised)

    async def _duplicate(self, key: PressKey) -> None:
        self._metrics.duplicates.inc()
        log.info("duplicate press ignored", device_id=key.device_id, seq=key.seq)
        await asyncio.shield(self._seen[key])

    def _raise(self, press: _Press) -> _Raised:
        """Decide and push: synchronous, so no other decision of the office interleaves."""
        key, now = press.key, self._clock.now()
        alarm_id = self._open_by_device.get(key.device_id) or alarm_id_for(key)
        current = self._open.get(alarm_id)
        prepared = None if current is not None else self._ready_raise(press, now)
        if prepared is not None:
            # the offers first, from the moved state; then the rest of the decision is moved
            office, ready = prepared.resolved, prepared.decision
            state = moved_state(ready, now=now, alarm_id=alarm_id)
            self._remember(state)
            self._cards.remember(alarm_id, office)
            self._effects.offer(state, office, ready.offers)
            decision = rebase(
                ready,
                now=now,
                alarm_id=alarm_id,
                seq=key.seq,
                gesture=press.gesture,
                device_ts=press.device_ts,
                battery=press.battery,
                state=state,
            )
            self._effects.push(state, office, decision, offered=True)
        else:
            office = self._card_for(press, alarm_id, current, now)
            state, decision = self._decide(office, current, _command(press, alarm_id), now)
            self._cards.remember(alarm_id, office)
            self._effects.push(state, office, decision)
        self._metrics.dispatch_seconds.observe(time.perf_counter() - press.started)
        if prepared is None and current is None:
            self._prepared.decided_fresh()
        self._seen[key] = self._write(state, decision, key)
        self._prepared.stale()
        return _Raised(press, office, state, decision, now, prepared)

    def _card_for(
        self, press: _Press, alarm_id: str, current: AlarmState | None, now: datetime
    ) -> Office:
        """A new alarm's card resolved for its situation; a repeat's, with what a raised level
        adds (a hold after "come by")."""
        device_id = press.key.device_id
        if current is None:
            return self._cards.for_new_alarm(press.office, device_id, press.gesture, now)
        alarm_office = self._cards.of(alarm_id, press.office)
        return self._cards.fuller(alarm_office, press.office, device_id, press.gesture, now)

    # -- raises decided ahead (app.service.prepared) -------------------------------------

    def _ready_raise(self, press: _Press, now: datetime) -> PreparedRaise | None:
        if possible_replay(now, press.device_ts):
            return None  # the template has no replay flag
        key = press.key
        return self._prepared.take(press.office, key.device_id, press.gesture, press.mode, now)

    def _decide_raise(
        self, office: Office, press: cmd.RaiseAlarm, now: datetime, busy: frozenset[str]
    ) -> tuple[Office, Decision]:
        """A new alarm's card and decision, from nothing but its inputs (no state is touched)."""
        resolved = self._cards.for_new_alarm(office, press.device_id, press.gesture, now)
        return resolved, decide(None, press, self._cards.context(resolved, now, busy), now)

    def _basis(self, office_id: str, now: datetime) -> Basis:
        return self._basis_with(office_id, self._busy(office_id, None), minute_of(now))

    def _basis_with(self, office_id: str, busy: frozenset[str], minute: int) -> Basis:
        office = self._offices.offices.get(office_id)
        guests = [s.office_id for s in office.facts.sharing if s.offers_role] if office else []
        return Basis(
            offices=self._offices.generation,
            presence=tuple(self._presence.present(o) for o in (office_id, *guests)),
            acknowledged=self._acknowledged(office_id) if self._acknowledged else None,
            busy=busy,
            minute=minute,
        )

    async def _durable(self, raised: _Raised) -> str:
        press, office, state, decision = raised.press, raised.office, raised.state, raised.decision
        await asyncio.shield(self._seen[press.key])
        self._metrics.commit_seconds.observe(time.perf_counter() - press.started)
        if any(isinstance(e, ev.AlarmRaised) for e in decision.events):
            self._metrics.alarms.labels(office.id, state.mode.value).inc()
        self._effects.after_commit(state, office, decision)
        if raised.prepared is not None:
            busy = self._busy(office.id, state)  # as before this alarm was raised
            self._prepared.check(
                raised.prepared,
                _command(press, state.alarm_id),
                raised.now,
                (office, decision),
                self._basis_with(office.id, busy, minute_of(raised.now)),
            )
        return state.alarm_id

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
        # the presser feels that the test worked; `test-<seq>` is no alarm id, and says so
        self._effects.feedback(key.device_id, {"alarm_id": f"test-{key.seq}", "state": "received"})

    # -- handset answers and the clock -------------------------------------------------

    async def handle(self, office: Office, alarm_id: str, command: cmd.Command) -> None:
        """Apply a handset's command; raises InvalidTransition with a code the handset sees."""
        await self._execute(office, alarm_id, command)

    async def person_arrived(self, office: Office, person_id: str) -> None:
        """Someone's handset connected: offer them the open roles they could take, in their own
        office's alarms and in alarms of offices that offer them a role."""
        joins = [(office, s.alarm_id, person_id) for s in self.open_alarms(office.id)]
        for state, origin in self.shared_into(office.id):
            joins.append((origin, state.alarm_id, guest_id(office.id, person_id)))
        for owner, alarm_id, who in joins:
            try:
                await self._execute(owner, alarm_id, cmd.JoinAlarm(person_id=who))
            except InvalidTransition as err:
                log.info("arrival changes nothing", alarm_id=alarm_id, reason=err.message)

    def route(self, office_id: str, person_id: str, alarm_id: str) -> tuple[Office, str]:
        """Whose alarm a handset answers, and as whom: its own office's, or another office's
        that offers it a role (then the person is `office:person` in that alarm)."""
        state = self._open.get(alarm_id)
        if state is None or state.office_id == office_id:
            return self._offices.office(office_id), person_id
        origin = self.office_of(state)
        if any(s.office_id == office_id and s.offers_role for s in origin.facts.sharing):
            return self._offices.office(origin.id), guest_id(office_id, person_id)
        raise UnknownAlarm(alarm_id)

    async def expire(self, office_id: str, alarm_id: str, role_id: str, offer_no: int) -> None:
        await self._tick(office_id, alarm_id, cmd.ExpireOffer(role_id=role_id, offer_no=offer_no))

    async def remind(self, office_id: str, alarm_id: str, role_id: str) -> None:
        await self._tick(office_id, alarm_id, cmd.RemindLeader(role_id=role_id))

    async def delivered(
        self, office_id: str, alarm_id: str, role_id: str, report: DeliveryReport
    ) -> None:
        failed = tuple(contact for contact, _reason in report.failed)
        command = cmd.RecordDelivery(role_id=role_id, delivered=report.delivered, failed=failed)
        await self._tick(office_id, alarm_id, command)

    async def _tick(self, office_id: str, alarm_id: str, command: cmd.Command) -> None:
        if alarm_id not in self._open:
            return  # the alarm closed meanwhile: nothing to do
        try:
            await self._execute(self._offices.office(office_id), alarm_id, command)
        except InvalidTransition as err:
            log.info("timer no longer applies", alarm_id=alarm_id, reason=err.message)

    async def _execute(
        self, office: Office, alarm_id: str, command: cmd.Command, press: PressKey | None = None
    ) -> None:
        async with self._locks[office.id]:
            current = self._open.get(alarm_id)
            if current is None or current.office_id != office.id:
                raise UnknownAlarm(alarm_id)
            office = self._cards.of(alarm_id, office)
            state, decision = self._decide(office, current, command, self._clock.now())
            if not decision.events:
                return
            written = self._write(state, decision, press)
            if press is not None:
                self._seen[press] = written
            await asyncio.shield(written)
            self._effects.push(state, office, decision)
            self._prepared.stale()  # who is busy may have changed
        self._effects.after_commit(state, office, decision)
        if self._on_closed is not None and state.status is not AlarmStatus.OPEN:
            task = asyncio.create_task(self._closed(state.alarm_id))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _closed(self, alarm_id: str) -> None:
        """After an alarm closes (its debrief opens); never holds up a handset's answer."""
        assert self._on_closed is not None
        try:
            await self._on_closed(alarm_id)
        except Exception as err:  # a failing listener must not touch the alarm
            log.error("after-close hook failed", alarm_id=alarm_id, error=repr(err))

    # -- the steps ---------------------------------------------------------------------

    def _decide(
        self, office: Office, state: AlarmState | None, command: cmd.Command, now: datetime
    ) -> tuple[AlarmState, Decision]:
        ctx = self._cards.context(office, now, self._busy(office.id, state))
        decision = decide(state, command, ctx, now)
        after = decision.state
        assert after is not None
        self._remember(after)
        return after, decision

    def _busy(self, office_id: str, state: AlarmState | None) -> frozenset[str]:
        """People holding a role in another open alarm of the office: not pulled away from it."""
        this = state.alarm_id if state else None
        return frozenset(
            person
            for other in self._open.values()
            if other.office_id == office_id and other.alarm_id != this
            for slot in other.slots
            if slot.holder_id is not None
            for person in (slot.holder_id, *slot.responders)
        )

    def _remember(self, state: AlarmState) -> None:
        if state.status is AlarmStatus.OPEN:
            self._open[state.alarm_id] = state
            self._open_by_device[state.device_id] = state.alarm_id
        else:
            self._open.pop(state.alarm_id, None)
            self._cards.forget(state.alarm_id)
            if self._open_by_device.get(state.device_id) == state.alarm_id:
                del self._open_by_device[state.device_id]
        self._metrics.open_alarms.set(len(self._open))

    def _write(
        self, state: AlarmState, decision: Decision, press: PressKey | None
    ) -> asyncio.Future[None]:
        written = self._journal.submit(AlarmSummary.of(state), decision.events, press)
        self._metrics.journal_backlog.set(self._journal.backlog)
        return written
