"""A flood of presses through the dispatcher over fakes: one alarm, every press counted,
acknowledged and answered, but about one timeline row and one handset update per second; a
raised level decided at once; presses from before the all-clear that arrive after it."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core import commands as cmd
from app.core import events as ev
from app.core.office import Gesture
from app.core.repeats import parse_seqs
from app.service.ports import PressKey
from tests.fakes import FakeAlarmStore
from tests.fakes.clock import settle
from tests.unit.test_dispatcher import World


async def events_of(w: World, alarm_id: str) -> list[ev.Event]:
    return [s.event for s in await w.store.events(alarm_id)]


def updates(w: World, alarm_id: str) -> int:
    return sum(1 for kind, what in w.notifier.sent if kind == "update" and what == alarm_id)


async def press(
    w: World, seq: int, gesture: Gesture = Gesture.SINGLE, ts: datetime | None = None
) -> str | None:
    key = PressKey("desk-1", seq, ts.isoformat() if ts else "")
    return await w.dispatcher.press(w.office, key, gesture, device_ts=ts)


async def pressed_once() -> tuple[World, str]:
    """Lise, Per and Gro present, the desk button pressed once: its alarm."""
    w = World()
    w.present("lise", "per", "gro")
    alarm_id = await press(w, 1)
    assert alarm_id is not None
    return w, alarm_id


async def test_a_flood_is_one_alarm_with_every_press_counted_and_about_one_row_a_second() -> None:
    w = World()
    w.present("lise", "per", "gro")
    n, seconds = 3000, 3.0
    ids = set()
    for seq in range(1, n + 1):
        ids.add(await press(w, seq))
        await w.clock.advance(seconds / n)
    await w.clock.advance(2)
    await settle()
    assert len(ids) == 1
    alarm_id = ids.pop()
    assert alarm_id is not None
    events = await events_of(w, alarm_id)
    repeats = [e for e in events if isinstance(e, ev.PressRepeated)]
    assert sum(e.count for e in repeats) == n - 1
    assert sorted(s for e in repeats for s in parse_seqs(e.seqs)) == list(range(2, n + 1))
    assert len(repeats) <= seconds + 2
    assert updates(w, alarm_id) <= seconds + 2
    answered = [p for d, p in w.feedback.sent if d == "desk-1" and p["alarm_id"] == alarm_id]
    assert len(answered) == n  # every press heard its feedback
    state = w.dispatcher.open_alarm(alarm_id)
    assert state is not None and state.repeats == n - 1
    assert state.first_repeat_at is not None and state.last_repeat_at is not None


async def test_a_hold_after_a_click_raises_the_level_at_once_after_the_held_presses() -> None:
    w, alarm_id = await pressed_once()
    await w.clock.advance(0.1)
    await press(w, 2)  # held: within the second of the raise
    assert not any(isinstance(e, ev.PressRepeated) for e in await events_of(w, alarm_id))
    await w.clock.advance(0.1)
    await press(w, 3, Gesture.HOLD)
    events = await events_of(w, alarm_id)
    kinds = [type(e).__name__ for e in events if e.at == w.clock.now()]
    assert kinds[:3] == ["PressRepeated", "PressRepeated", "LevelRaised"]
    state = w.dispatcher.open_alarm(alarm_id)
    assert state is not None and state.level.value == "acute" and state.repeats == 2


async def test_the_all_clear_records_the_held_presses_before_it() -> None:
    w, alarm_id = await pressed_once()
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    for seq in range(2, 6):
        await w.clock.advance(0.05)
        await press(w, seq)
    await w.dispatcher.handle(w.office, alarm_id, cmd.GiveAllClear(person_id="lise"))
    names = [type(e).__name__ for e in await events_of(w, alarm_id)]
    assert names.index("PressRepeated") < names.index("AllClearGiven")
    repeats = [e for e in await events_of(w, alarm_id) if isinstance(e, ev.PressRepeated)]
    assert sum(e.count for e in repeats) == 4


async def close(w: World, alarm_id: str) -> None:
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    await w.dispatcher.handle(w.office, alarm_id, cmd.GiveAllClear(person_id="lise"))


async def test_a_flood_still_queued_after_the_all_clear_raises_no_second_alarm() -> None:
    w, alarm_id = await pressed_once()
    for seq in range(2, 50):
        await w.clock.advance(0.005)
        await press(w, seq)
    await close(w, alarm_id)
    for seq in range(50, 400):  # the broker's queue drains, 5 ms apart
        await w.clock.advance(0.005)
        assert await press(w, seq) == alarm_id
    await w.clock.advance(2)
    await settle()
    assert await w.store.open_alarm_ids() == []
    late = [e for e in await events_of(w, alarm_id) if isinstance(e, ev.PressRepeated) and e.late]
    assert sum(e.count for e in late) == 350 and len(late) <= 5
    assert ("desk-1", {"alarm_id": alarm_id, "state": "resolved"}) in w.feedback.sent
    await w.clock.advance(3)  # a person presses again, later
    assert await press(w, 400) not in (None, alarm_id)


async def test_a_press_with_its_own_time_is_late_only_when_made_before_the_close() -> None:
    w = World()
    w.present("lise", "per", "gro")
    t = w.clock.now()
    alarm_id = await press(w, 1, ts=t - timedelta(milliseconds=20))
    assert alarm_id is not None
    await w.clock.advance(1)
    await close(w, alarm_id)
    closed_at = w.clock.now()
    await w.clock.advance(5)
    made_before = closed_at - timedelta(milliseconds=500)
    assert await press(w, 2, ts=made_before - timedelta(milliseconds=20)) == alarm_id
    assert await w.store.open_alarm_ids() == []
    made_after = w.clock.now() - timedelta(milliseconds=20)
    second = await press(w, 3, ts=made_after)
    assert second not in (None, alarm_id)
    assert await w.store.open_alarm_ids() == [second]


async def test_a_restarted_counter_after_the_close_is_a_new_alarm() -> None:
    w = World()
    w.present("lise", "per", "gro")
    alarm_id = await press(w, 500)
    assert alarm_id is not None
    await close(w, alarm_id)
    await w.clock.advance(1)
    second = await press(w, 1)  # far below: a restart, not a late press
    assert second not in (None, alarm_id)


async def test_the_raise_update_waits_its_second_and_an_accept_within_it_replaces_it() -> None:
    w, alarm_id = await pressed_once()
    told = {what for kind, what in w.notifier.sent if kind in ("offer", "notice")}
    assert told and updates(w, alarm_id) == 0  # the offers went out at once; the table waits
    await w.clock.advance(0.3)
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    assert updates(w, alarm_id) == 1  # the accept at once, with its holder
    assert w.notifier.updated[-1].slot("leader").holder_id == "lise"
    await w.clock.advance(2)
    assert updates(w, alarm_id) == 1  # the raise's own table never follows it


async def test_without_an_answer_the_raise_update_goes_out_when_its_second_is_over() -> None:
    w, alarm_id = await pressed_once()
    await w.clock.advance(0.9)
    assert updates(w, alarm_id) == 0
    await w.clock.advance(0.2)
    assert updates(w, alarm_id) == 1
    assert w.notifier.updated[-1].slot("leader").status.value == "offered"


async def test_repeat_updates_within_a_second_are_folded_but_an_answer_goes_at_once() -> None:
    w, alarm_id = await pressed_once()
    assert updates(w, alarm_id) == 0  # the raise's, held a second
    await w.clock.advance(0.1)
    await press(w, 2)  # a repeat within the raise's second: folded into its update
    await w.clock.advance(0.1)
    await press(w, 3)
    assert updates(w, alarm_id) == 0  # held: the second is not over
    await w.clock.advance(1)
    assert updates(w, alarm_id) == 1  # one update for the raise and both, the newest state
    await w.clock.advance(0.1)
    await press(w, 4)  # held again ...
    held = updates(w, alarm_id)
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    assert updates(w, alarm_id) == held + 1  # ... but the accept is seen at once
    accepted = len(w.notifier.updated)
    await w.clock.advance(2)
    # the state held from before the accept is never sent after it (the repeats' row may be)
    for state in w.notifier.updated[accepted - 1 :]:
        assert state.slot("leader").holder_id == "lise"


async def test_late_presses_held_on_a_closed_alarm_are_recorded_after_a_newer_one_closed() -> None:
    w = World()
    w.present("lise", "per", "gro")
    first = await press(w, 1)
    assert first is not None
    for seq in range(2, 10):
        await w.clock.advance(0.005)
        await press(w, seq)
    await close(w, first)
    for seq in range(10, 20):  # queued before the all-clear: held on the closed alarm
        await w.clock.advance(0.005)
        assert await press(w, seq) == first
    await w.clock.advance(0.3)
    second = await press(w, 20)  # made after the close: a new alarm, closed at once
    assert second not in (None, first)
    await close(w, second or "")
    await w.clock.advance(2)
    await settle()
    counted = sum(e.count for e in await events_of(w, first) if isinstance(e, ev.PressRepeated))
    assert counted == 18  # seqs 2..19: none lost when the newer alarm closed


async def test_repeats_held_when_the_process_died_are_recorded_at_the_restart() -> None:
    crashed = World(FakeAlarmStore())
    crashed.present("lise")
    alarm_id = await press(crashed, 1)
    assert alarm_id is not None
    for seq in range(2, 7):  # acknowledged and answered, held for the second's row
        await crashed.clock.advance(0.05)
        assert await press(crashed, seq) == alarm_id
    assert not any(isinstance(e, ev.PressRepeated) for e in await events_of(crashed, alarm_id))
    restarted = World(crashed.store)  # SIGKILL: the held tally was only in memory
    await restarted.dispatcher.recover(restarted.clock.now() - timedelta(hours=48))
    rows = [e for e in await events_of(restarted, alarm_id) if isinstance(e, ev.PressRepeated)]
    assert sorted(s for e in rows for s in parse_seqs(e.seqs)) == [2, 3, 4, 5, 6]
    state = restarted.dispatcher.open_alarm(alarm_id)
    assert state is not None and state.repeats == 5


async def test_a_clean_stop_records_the_held_repeats() -> None:
    w = World()
    w.present("lise")
    alarm_id = await press(w, 1)
    assert alarm_id is not None
    await w.clock.advance(0.1)
    await press(w, 2)
    await w.dispatcher.close()
    rows = [e for e in await events_of(w, alarm_id) if isinstance(e, ev.PressRepeated)]
    assert [e.count for e in rows] == [1]
