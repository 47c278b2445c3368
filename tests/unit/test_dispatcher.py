"""The dispatcher over fakes: offers before the commit, acknowledgement after it, duplicates,
deadlines on an injected clock, recovery after a restart, and a database that fails for a while."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from app.compose.dispatch import dispatcher_for
from app.config.loader import load_office_file
from app.core import commands as cmd
from app.core import events as ev
from app.core.office import Gesture
from app.service.dispatcher import UnknownAlarm, alarm_id_for
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmSummary, PressKey, StoredEvent
from app.service.presence import Presence
from tests.conftest import DEMO_OFFICE
from tests.fakes import FakeAlarmStore
from tests.fakes.clock import ManualClock, settle
from tests.fakes.handsets import RecordingFeedback, RecordingNotifier

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class GatedStore(FakeAlarmStore):
    """Appends wait for the gate, and the first `failures` appends raise, like a sick database."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.failures = failures

    async def append(
        self, alarm: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None = None
    ) -> list[StoredEvent]:
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unavailable")
        return await super().append(alarm, events, press)


class World:
    def __init__(
        self,
        store: FakeAlarmStore | None = None,
        clock: ManualClock | None = None,
    ) -> None:
        loaded = load_office_file(DEMO_OFFICE)
        self.office = loaded.office
        self.store = store or GatedStore()
        self.clock = clock or ManualClock(T0)
        self.presence = Presence()
        self.notifier = RecordingNotifier()
        self.feedback = RecordingFeedback()
        self.metrics = Metrics()
        self.dispatcher = dispatcher_for(
            offices=OfficeDirectory([loaded]),
            store=self.store,
            clock=self.clock,
            presence=self.presence,
            notifier=self.notifier,
            feedback=self.feedback,
            metrics=self.metrics,
        )

    def present(self, *people: str) -> None:
        for person in people:
            self.presence.arrived(self.office.id, person, f"hs-{person}")

    async def press(self, seq: int = 1, device: str = "desk-1") -> str | None:
        return await self.dispatcher.press(self.office, PressKey(device, seq), Gesture.SINGLE)


async def test_offers_go_out_before_the_commit_and_the_press_returns_only_after_it() -> None:
    w = World()
    w.present("lise", "per", "gro")
    w.store.gate.clear()
    pressing = asyncio.create_task(w.press())
    await settle()
    assert ("a-" in w.notifier.offers()[0][0]) and not pressing.done()
    assert {(p, r) for _, p, r in w.notifier.offers()} == {
        ("lise", "leader"),
        ("gro", "guard"),
        ("per", "police-contact"),
    }
    assert w.feedback.sent == []  # "received" means durable: not before the commit
    w.store.gate.set()
    alarm_id = await asyncio.wait_for(pressing, 5)
    assert alarm_id == alarm_id_for(PressKey("desk-1", 1))
    assert await w.store.alarm(alarm_id) is not None
    await settle()
    assert w.feedback.sent == [("desk-1", {"alarm_id": alarm_id, "state": "received"})]


async def test_a_press_on_a_free_office_is_offered_before_press_returns() -> None:
    """No turn of the event loop between a press and its offers: that is the press's latency."""
    w = World()
    w.present("lise", "per", "gro")
    pressing = w.dispatcher.press(w.office, PressKey("desk-1", 3), Gesture.SINGLE)
    assert {(p, r) for _, p, r in w.notifier.offers()} == {
        ("lise", "leader"),
        ("gro", "guard"),
        ("per", "police-contact"),
    }
    assert await asyncio.wait_for(pressing, 5) == alarm_id_for(PressKey("desk-1", 3))


async def test_a_press_waits_its_turn_while_the_office_is_busy_and_is_not_taken_twice() -> None:
    w = World()
    w.present("lise", "per", "gro")
    w.store.gate.clear()
    first = asyncio.create_task(w.press(seq=1))
    await settle()
    accepting = asyncio.create_task(
        w.dispatcher.handle(
            w.office,
            alarm_id_for(PressKey("desk-1", 1)),
            cmd.AcceptRole(person_id="lise", role_id="leader"),
        )
    )
    await settle()  # the accept holds the office while its write waits
    offers_before = len(w.notifier.offers())
    again = w.dispatcher.press(w.office, PressKey("desk-1", 2), Gesture.SINGLE)
    repeat = w.dispatcher.press(w.office, PressKey("desk-1", 2), Gesture.SINGLE)
    assert len(w.notifier.offers()) == offers_before  # nothing decided while the office is busy
    w.store.gate.set()
    assert await asyncio.wait_for(first, 5) == alarm_id_for(PressKey("desk-1", 1))
    await asyncio.wait_for(accepting, 5)
    results = await asyncio.wait_for(asyncio.gather(again, repeat), 5)
    assert results == [alarm_id_for(PressKey("desk-1", 1)), None]  # a repeat, then a duplicate


async def test_someone_holding_a_role_in_one_alarm_is_not_offered_one_in_a_second() -> None:
    w = World()
    w.present("lise", "per", "gro")
    first = await w.press(seq=1)
    assert first is not None
    await w.dispatcher.handle(w.office, first, cmd.AcceptRole(person_id="lise", role_id="leader"))
    second = await w.press(seq=1, device="worn-1")
    assert second is not None and second != first
    offered = {p for a, p, _ in w.notifier.offers() if a == second}
    assert offered and "lise" not in offered


async def test_a_redelivered_press_raises_no_second_alarm() -> None:
    w = World()
    w.present("lise")
    first = await w.press(seq=7)
    offers = len(w.notifier.offers())
    assert await w.press(seq=7) is None
    assert len(w.notifier.offers()) == offers
    assert await w.store.open_alarm_ids() == [first]


async def test_a_press_lost_before_commit_comes_back_as_the_same_alarm() -> None:
    store = GatedStore()
    crashed = World(store)
    crashed.present("lise")
    store.gate.clear()
    task = asyncio.create_task(crashed.press(seq=9))
    await settle()
    offered_before = crashed.notifier.offers()[0][0]
    task.cancel()  # the process dies before the commit; the broker still holds the press
    store.gate.set()
    restarted = World(FakeAlarmStore())
    restarted.present("lise")
    assert await restarted.press(seq=9) == offered_before


async def test_no_answer_moves_the_role_to_the_deputy_at_the_deadline() -> None:
    w = World()
    w.present("lise", "per", "gro")
    alarm_id = await w.press()
    await w.clock.advance(19)
    assert ("per", "leader") not in {(p, r) for _, p, r in w.notifier.offers()}
    await w.clock.advance(2)
    assert (alarm_id, "per", "leader") in w.notifier.offers()
    kinds = [type(s.event).__name__ for s in await w.store.events(alarm_id)]
    assert "OfferTimedOut" in kinds


async def test_after_a_restart_open_alarms_are_recovered_and_deadlines_still_fire() -> None:
    store = FakeAlarmStore()
    clock = ManualClock(T0)
    before = World(store, clock)
    before.present("lise", "per")
    alarm_id = await before.press()
    await before.dispatcher.close()

    after = World(store, clock)
    after.present("lise", "per")
    assert await after.dispatcher.recover(T0) == 1
    assert after.dispatcher.open_alarm(alarm_id) is not None
    assert await after.press() is None  # the same press redelivered after the restart
    await clock.advance(25)
    assert (alarm_id, "per", "leader") in after.notifier.offers()


async def test_a_failing_database_delays_the_acknowledgement_but_not_the_offers() -> None:
    w = World(GatedStore(failures=3))
    w.present("lise")
    pressing = asyncio.create_task(w.press())
    await settle()
    assert w.notifier.offers()
    alarm_id = await asyncio.wait_for(pressing, 10)  # retried until the database took it
    assert alarm_id is not None and await w.store.alarm(alarm_id) is not None


async def test_answers_are_written_before_they_are_pushed() -> None:
    w = World()
    w.present("lise", "gro")
    alarm_id = await w.press()
    assert alarm_id is not None
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    events = [type(s.event).__name__ for s in await w.store.events(alarm_id)]
    assert "RoleAccepted" in events
    await w.dispatcher.handle(w.office, alarm_id, cmd.GiveAllClear(person_id="lise"))
    assert w.notifier.sent[-1] == ("closed", alarm_id)
    assert w.dispatcher.open_alarm(alarm_id) is None
    with pytest.raises(UnknownAlarm):
        await w.dispatcher.handle(
            w.office, alarm_id, cmd.AcceptRole(person_id="gro", role_id="guard")
        )
    assert w.clock.pending == []  # closing disarmed every deadline


async def test_cancel_from_the_presser_closes_the_devices_open_alarm() -> None:
    w = World()
    w.present("lise")
    alarm_id = await w.press(seq=1)
    await w.clock.advance(5)
    assert await w.dispatcher.cancel(w.office, PressKey("desk-1", 2)) == alarm_id
    summary = await w.store.alarm(alarm_id or "")
    assert summary is not None and summary.status == "cancelled"
    await settle()
    assert ("desk-1", {"alarm_id": alarm_id, "state": "cancelled"}) in w.feedback.sent


async def test_someone_responding_to_one_alarm_is_not_pulled_into_a_second() -> None:
    w = World()
    w.present("lise", "per", "gro")
    first = await w.press(seq=1, device="desk-1")
    assert first is not None
    await w.dispatcher.handle(w.office, first, cmd.AcceptRole(person_id="gro", role_id="guard"))
    before = len(w.notifier.offers())
    second = await w.press(seq=2, device="worn-1")
    offered_now = w.notifier.offers()[before:]
    assert second != first and offered_now
    assert all(person != "gro" for _, person, _ in offered_now)
