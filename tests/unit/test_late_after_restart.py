"""Presses made before an all-clear and delivered after a restart (a SIGKILL, or a standby
taking over): the closed alarm and its device's trail are rebuilt from the store, so such a
press is a late repeat of the closed alarm, and a press made after the close is a new alarm."""

from __future__ import annotations

from datetime import timedelta

from app.core import events as ev
from app.service.recovery import LATE_WINDOW, device_time
from tests.fakes import FakeAlarmStore
from tests.fakes.clock import settle
from tests.unit.test_dispatcher import World
from tests.unit.test_flood import close, events_of, press

HORIZON = timedelta(hours=48)


async def restarted(before: World, down: timedelta = timedelta(seconds=3)) -> World:
    """The store survives, the memory does not; the clock went on while it was down."""
    await before.clock.advance(down.total_seconds())
    after = World(before.store, before.clock)
    after.present("lise", "per", "gro")
    await after.dispatcher.recover(after.clock.now() - HORIZON)
    return after


async def late_rows(w: World, alarm_id: str) -> list[ev.PressRepeated]:
    found = await events_of(w, alarm_id)
    return [e for e in found if isinstance(e, ev.PressRepeated) and e.late]


async def test_a_timed_press_from_before_the_close_is_late_after_a_restart() -> None:
    w = World(FakeAlarmStore())
    w.present("lise", "per", "gro")
    t = w.clock.now()
    alarm_id = await press(w, 1, ts=t - timedelta(milliseconds=20))
    assert alarm_id is not None
    await w.clock.advance(2)
    await close(w, alarm_id)
    closed_at = w.clock.now()
    after = await restarted(w, down=timedelta(minutes=2))
    made_before = closed_at - timedelta(seconds=1)
    assert await press(after, 2, ts=made_before) == alarm_id
    await after.clock.advance(2)
    await settle()
    assert await after.store.open_alarm_ids() == []
    assert [e.seq for e in await late_rows(after, alarm_id)] == [2]
    assert ("desk-1", {"alarm_id": alarm_id, "state": "resolved"}) in after.feedback.sent
    second = await press(after, 3, ts=after.clock.now() - timedelta(milliseconds=20))
    assert second not in (None, alarm_id)
    assert await after.store.open_alarm_ids() == [second]


async def test_a_press_without_a_time_below_a_seen_seq_is_late_within_the_window() -> None:
    w = World(FakeAlarmStore())
    w.present("lise", "per", "gro")
    alarm_id = await press(w, 10)
    assert alarm_id is not None
    await w.clock.advance(0.5)
    assert await press(w, 12) == alarm_id  # seq 11 is still queued in the broker
    await close(w, alarm_id)
    after = await restarted(w)
    assert await press(after, 11) == alarm_id
    await after.clock.advance(2)
    await settle()
    assert await after.store.open_alarm_ids() == []
    assert [e.seq for e in await late_rows(after, alarm_id)] == [11]
    second = await press(after, 13)  # a seq above every one seen: pressed again
    assert second not in (None, alarm_id)


async def test_an_alarm_closed_longer_ago_than_the_window_is_not_rebuilt() -> None:
    w = World(FakeAlarmStore())
    w.present("lise", "per", "gro")
    t = w.clock.now()
    alarm_id = await press(w, 1, ts=t)
    assert alarm_id is not None
    await w.clock.advance(1)
    await close(w, alarm_id)
    after = await restarted(w, down=LATE_WINDOW + timedelta(seconds=1))
    second = await press(after, 2, ts=t + timedelta(milliseconds=500))  # no longer placed
    assert second not in (None, alarm_id)


def test_a_stored_key_is_a_device_time_only_when_it_is_one_with_an_offset() -> None:
    assert device_time("2026-12-07T05:00:00+00:00") is not None
    assert device_time("2026-12-07T05:00:00") is None  # no offset: no clock to compare
    assert device_time("") is None
    assert device_time("sh1:1733547600") is None  # another family's key
