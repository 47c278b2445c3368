"""The dispatcher: load → decide → apply → act, one office at a time, durably.

For a press, the offers go to the handsets as soon as the decision is made, while the journal
writes it; the caller (the MQTT intake) awaits the write before it acknowledges, so a crash
before the commit makes the broker deliver the press again, and the same press always yields
the same alarm id. Handset answers are written first and acted on after. Every press is
decided once, from what is true at the press; a flood's repeats are coalesced (app.core.repeats).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import structlog

from app.core import commands as cmd
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus
from app.core.draft import Decision, InvalidTransition
from app.core.facts import guest_id
from app.core.office import AlarmMode, Gesture, Office
from app.core.transitions import decide
from app.service.cards import AlarmCards
from app.service.clock import Clock
from app.service.closing import AfterClose
from app.service.coalescing import Coalescer
from app.service.counters import PressCounters
from app.service.effects import EffectRunner
from app.service.journal import Journal
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, AlarmSummary, PressKey
from app.service.presses import DuplicateAnswers, Press, Raised, alarm_id_for, raise_command
from app.service.recovery import RECOUNT_WINDOW, read_open_alarm, recently_closed, uncounted_repeats
from app.service.ticks import AlarmTimers
from app.service.timelines import TimelineProblems
from app.service.whereabouts import Places

__all__ = ["Dispatcher", "UnknownAlarm", "alarm_id_for"]

log = structlog.get_logger(__name__)


class UnknownAlarm(InvalidTransition):
    def __init__(self, alarm_id: str) -> None:
        super().__init__("unknown_alarm", f"no open alarm {alarm_id!r} in your office")


class Dispatcher(AlarmTimers, AfterClose):
    """Built by the composition root (`app.compose.dispatch`), which hands it the journal it
    writes through, the cards its alarms run on and the runner of its effects."""

    def __init__(
        self,
        *,
        offices: OfficeDirectory,
        store: AlarmStore,
        clock: Clock,
        metrics: Metrics,
        journal: Journal,
        cards: AlarmCards,
        effects: EffectRunner,
        on_closed: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        self._offices = offices
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._journal = journal
        self._cards = cards
        self._effects = effects
        effects.answer_to(self)
        self._open: dict[str, AlarmState] = {}
        self.unreadable = TimelineProblems()  # timelines that cannot be folded, reported
        self._open_by_device: dict[str, str] = {}
        self._seen: dict[PressKey, asyncio.Future[None]] = {}
        self._counters = PressCounters()  # which alarm a press key belongs to; restarts
        self._duplicates = DuplicateAnswers(store, self._counters, effects)
        self._repeats = Coalescer()  # held repeats, late presses (app.core.repeats)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._on_closed = on_closed
        self._closing: set[asyncio.Task[None]] = set()

    async def recover(self, dedupe_since: datetime) -> int:
        """Rebuild open alarms from their timelines and re-arm their deadlines and reminders, and
        the recently closed ones with their devices' trails (their late presses stay late)."""
        loop = asyncio.get_running_loop()
        presses = await self._store.presses_since(dedupe_since)
        keys = {row.key: row.alarm_id for row in presses}
        self._counters.load(keys)
        for key in keys:
            done: asyncio.Future[None] = loop.create_future()
            done.set_result(None)
            self._seen[key] = done
        for state, trail in await recently_closed(self._store, presses, self._clock.now()):
            self._repeats.restore(state, trail)  # before `_remember`: a late press's trail
            self._remember(state)
        for alarm_id in await self._store.open_alarm_ids():
            await self._recover_one(alarm_id)
        await self._recount()
        self._metrics.open_alarms.set(len(self._open))
        log.info("recovered", open_alarms=len(self._open), press_keys=len(self._seen))
        return len(self._open)

    async def _recover_one(self, alarm_id: str) -> None:
        args = (self._store, self._offices, self._cards, self.unreadable)
        found = await read_open_alarm(*args, alarm_id)
        if found is not None:
            self._remember(found[0])
            self._effects.arm_all(*found)

    async def _recount(self) -> None:
        """Repeats that were held when the process died are recorded now (app.core.repeats)."""
        now = self._clock.now()
        for state, tally in await uncounted_repeats(self._store, now - RECOUNT_WINDOW):
            current = self._open.get(state.alarm_id, state)
            office = self._offices.offices.get(state.office_id)
            if office is not None:
                card = self._cards.of(state.alarm_id, office)
                after, decision = self._decide(card, current, cmd.RecordRepeats(tally=tally), now)
                await self._write(after, decision, None)

    async def close(self) -> None:
        """Held repeats are recorded first: a clean stop leaves nothing for the next start."""
        for alarm_id in self._repeats.holding():
            state = self._open.get(alarm_id) or self._repeats.closed_alarm(alarm_id)
            if state is not None:
                self._record_held(self._offices.office(state.office_id), alarm_id)
        self._effects.close()
        await self._journal.close()

    # -- what handsets and the API read ------------------------------------------------

    def open_alarms(self, office_id: str) -> list[AlarmState]:
        return [s for s in self._open.values() if s.office_id == office_id]

    def open_states(self) -> list[AlarmState]:
        """Every office's open alarms: none is a quiet moment; counted per office in one pass."""
        return list(self._open.values())

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
    def places(self) -> Places:
        """Check-ins and checked-out worn triggers: who pressed a fixed button, and where."""
        return self._cards.places

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
        presser_id: str | None = None,
    ) -> Coroutine[Any, Any, str | None]:
        """Raise (or repeat) an alarm; the coroutine returned completes once it is durable, with
        its id (None for a duplicate). `mode`: a real alarm, a drill or a test.

        When the office is free the offers go to the handsets before this returns, with no hop
        through the event loop (most of a press's latency); else it waits for the office."""
        if key in self._seen:
            fresh = self._counters.restart_key(key, self._clock.now(), self._open.__contains__)
            if fresh is None:
                return self._duplicate(key)
            log.warning("known press key on a closed alarm: a restarted counter", seq=key.seq)
            key = fresh
        started = time.perf_counter()
        press = Press(office, key, gesture, device_ts, battery, mode, started, presser_id)
        if self._locks[office.id].locked():
            return self._press_in_turn(press)
        return self._durable(self._raise(press))

    async def _press_in_turn(self, press: Press) -> str | None:
        async with self._locks[press.office.id]:
            # the same press may have been taken while this one waited for the office
            raised = None if press.key in self._seen else self._raise(press)
        if raised is None:
            await self._duplicate(press.key)
            return None
        return await self._durable(raised)

    async def _duplicate(self, key: PressKey) -> None:
        self._metrics.duplicates.inc()
        log.info("duplicate press", device_id=key.device_id, seq=key.seq)
        await asyncio.shield(self._seen[key])
        await self._duplicates.answer(key, self._open)

    def _raise(self, press: Press) -> Raised:
        """Decide and push: synchronous, so no other decision of the office interleaves."""
        key, now = press.key, self._clock.now()
        own = press.presser_id is not None  # a named worker's alarm is never another's repeat
        alarm_id = (None if own else self._open_by_device.get(key.device_id)) or alarm_id_for(key)
        current = self._open.get(alarm_id)
        late = None if own or current else self._repeats.late_for(key, press.device_ts, now)
        if late is not None:  # made before its alarm's all-clear, queued until after it
            alarm_id, current = late.alarm_id, late
        office = self._card_for(press, alarm_id, current, now)
        command = raise_command(press, alarm_id, self._repeats.held(alarm_id))
        state, decision = self._decide(office, current, command, now)
        self._repeats.settle(alarm_id, decision)
        self._repeats.arrived(key, press.device_ts, now)
        if late is None:
            self._cards.remember(alarm_id, office)
        self._effects.push(state, office, decision)
        self._metrics.dispatch_seconds.observe(time.perf_counter() - press.started)
        self._seen[key] = self._write(state, decision, key)
        self._counters.remember(key, state.alarm_id, now)
        return Raised(press, office, state, decision)

    def _card_for(
        self, press: Press, alarm_id: str, current: AlarmState | None, now: datetime
    ) -> Office:
        """A new alarm's card resolved for its situation; a repeat's, with what a raised level
        adds (a hold after "come by")."""
        device_id = press.key.device_id
        if current is not None and current.status is not AlarmStatus.OPEN:
            return press.office  # a late press on a closed alarm: nothing is offered
        if current is None:
            return self._cards.for_new_alarm(press.office, device_id, press.gesture, now)
        alarm_office = self._cards.of(alarm_id, press.office)
        return self._cards.fuller(alarm_office, press.office, device_id, press.gesture, now)

    async def _durable(self, raised: Raised) -> str:
        press, office, state, decision = raised.press, raised.office, raised.state, raised.decision
        await asyncio.shield(self._seen[press.key])
        self._metrics.commit_seconds.observe(time.perf_counter() - press.started)
        if any(isinstance(e, ev.AlarmRaised) for e in decision.events):
            self._metrics.alarms.labels(office.id, state.mode.value).inc()
        self._effects.after_commit(state, office, decision)
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
            if isinstance(command, cmd.GiveAllClear | cmd.CancelAlarm):
                self._record_held(office, alarm_id)  # the held presses before the close
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
        self._effects.after_commit(state, office, decision)
        if state.status is not AlarmStatus.OPEN:
            self._in_background(self._freed(office.id, state))
        if self._on_closed is not None and state.status is not AlarmStatus.OPEN:
            self._in_background(self._closed(state.alarm_id))

    async def record_repeats(self, office_id: str, alarm_id: str) -> None:
        """The held repeats' second is over: one row records them, one update tells of them."""
        office = self._offices.office(office_id)
        async with self._locks[office_id]:
            written = self._record_held(office, alarm_id)
        if written is not None:
            await asyncio.shield(written)

    def _record_held(self, office: Office, alarm_id: str) -> asyncio.Future[None] | None:
        state = self._open.get(alarm_id) or self._repeats.closed_alarm(alarm_id)
        tally = self._repeats.take(alarm_id)
        if tally is None or state is None:
            return None
        card = self._cards.of(alarm_id, office) if alarm_id in self._open else office
        now = self._clock.now()
        state, decision = self._decide(card, state, cmd.RecordRepeats(tally=tally), now)
        self._effects.push(state, card, decision)
        return self._write(state, decision, None)

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
            self._repeats.remember(state)
            self._duplicates.closed(state.alarm_id, state.status.value)
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
