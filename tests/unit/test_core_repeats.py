"""Coalesced repeats and late presses in the pure core: decide/evolve and the rules of
app.core.repeats, with injected time only."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, fold
from app.core.office import Gesture, Level
from app.core.records import from_record, to_record
from app.core.repeats import (
    BURST_GAP,
    ROW_EVERY,
    DeviceTrail,
    Tally,
    follow,
    from_before_close,
    parse_seqs,
    row_of,
    trail_of,
)
from tests.unit.office_fixtures import T0
from tests.unit.test_core_transitions import Run, ctx, press

MS = timedelta(milliseconds=1)
WINDOW = timedelta(seconds=30)


def held_of(decision_effects: tuple[fx.Effect, ...]) -> fx.HoldRepeats | None:
    return next((e for e in decision_effects if isinstance(e, fx.HoldRepeats)), None)


def test_repeats_within_a_second_are_held_into_one_count_then_recorded_as_one_row() -> None:
    run = Run(ctx("lise"))
    run.do(press(seq=1))
    tally = None
    for seq in range(2, 502):
        d = run.do(press(seq=seq) if tally is None else _with(press(seq=seq), tally), T0 + seq * MS)
        assert d.events == ()  # nothing on the timeline yet
        assert fx.SendFeedback("a-1", "desk-1", fx.FeedbackState.RECEIVED) in d.effects
        hold = held_of(d.effects)
        assert hold is not None and hold.due_at == T0 + ROW_EVERY
        tally = hold.tally
    assert tally is not None
    d = run.do(cmd.RecordRepeats(tally=tally), T0 + ROW_EVERY)
    (row,) = d.events
    assert isinstance(row, ev.PressRepeated) and row.count == 500
    assert parse_seqs(row.seqs) == list(range(2, 502))
    assert fx.PushUpdate("a-1") in d.effects
    assert run.alarm.repeats == 500 and run.alarm.first_repeat_at == T0 + 2 * MS
    assert run.alarm.last_repeat_at == T0 + 501 * MS
    assert fold(run.log) == run.state  # the count is part of the fold


def _with(c: cmd.RaiseAlarm, tally: Tally) -> cmd.RaiseAlarm:
    return cmd.RaiseAlarm(
        alarm_id=c.alarm_id, device_id=c.device_id, seq=c.seq, gesture=c.gesture, held=tally
    )


def test_the_first_repeat_after_a_quiet_second_is_recorded_at_once() -> None:
    run = Run(ctx("lise"))
    run.do(press(seq=1))
    d = run.do(press(seq=2), T0 + 2 * ROW_EVERY)
    assert [type(e).__name__ for e in d.events] == ["PressRepeated"]
    assert fx.PushUpdate("a-1") in d.effects and held_of(d.effects) is None


def test_a_raised_level_is_decided_at_once_even_within_the_second() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press(seq=1))
    hold = held_of(run.do(press(seq=2), T0 + 100 * MS).effects)
    assert hold is not None
    hard = cmd.RaiseAlarm(
        alarm_id="a-1", device_id="desk-1", seq=3, gesture=Gesture.HOLD, held=hold.tally
    )
    d = run.do(hard, T0 + 200 * MS)
    names = [type(e).__name__ for e in d.events]
    assert names[:3] == ["PressRepeated", "PressRepeated", "LevelRaised"]
    assert run.alarm.level is Level.ACUTE and run.alarm.repeats == 2


def test_a_late_press_on_a_closed_alarm_is_recorded_and_answered_with_how_it_closed() -> None:
    run = Run(ctx("lise"))
    run.do(press(seq=1))
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"), T0 + 2 * ROW_EVERY)
    run.do(cmd.GiveAllClear(person_id="lise"), T0 + 3 * ROW_EVERY)
    d = run.do(press(seq=2), T0 + 5 * ROW_EVERY)
    assert [type(e).__name__ for e in d.events] == ["PressRepeated"]
    row = d.events[0]
    assert isinstance(row, ev.PressRepeated) and row.late
    assert fx.SendFeedback("a-1", "desk-1", fx.FeedbackState.RESOLVED) in d.effects
    assert not any(isinstance(e, ev.AlarmRaised) for e in d.events)
    assert run.alarm.status is AlarmStatus.RESOLVED and run.alarm.repeats == 1
    assert held_of(run.do(press(seq=3), T0 + 5 * ROW_EVERY + MS).effects) is not None


def test_a_coalesced_row_survives_the_store_round_trip() -> None:
    tally = Tally.start("desk-1", 5, Gesture.SINGLE, Level.ASSIST, T0)
    for seq in (6, 7, 9, 10, 4):
        tally = tally.add(seq, T0 + seq * MS)
    row = row_of(tally, T0 + ROW_EVERY, late=True)
    assert row.seqs == "5-7,9-10,4" and row.count == 6
    name, data = to_record(row)
    assert from_record(name, row.at, row.actor, data) == row
    old = from_record(
        "PressRepeated",
        T0,
        "device:d",
        {"device_id": "d", "seq": 1, "gesture": "single", "level": "assist"},
    )
    assert isinstance(old, ev.PressRepeated) and old.count == 1  # rows written before coalescing


def test_a_press_with_a_device_time_is_placed_on_the_devices_own_clock() -> None:
    closed = _closed_at(T0 + timedelta(seconds=10))
    lead = timedelta(seconds=3)  # the device's clock is 3 s behind, its fastest hop included
    trail = DeviceTrail(T0 + timedelta(seconds=9), 40, "", lead)
    now = T0 + timedelta(seconds=12)

    def made(at: timedelta) -> bool:
        return from_before_close(trail, closed, (41, "", T0 + at - lead), now, WINDOW, 100)

    assert made(timedelta(seconds=9))  # pressed before the close, queued
    assert not made(timedelta(seconds=11))  # pressed after the close
    assert not from_before_close(
        trail, closed, (41, "", T0 - timedelta(days=9000)), now, WINDOW, 100
    )


def test_a_press_without_a_time_is_late_only_as_a_flood_draining_or_below_a_seen_seq() -> None:
    close_at = T0 + timedelta(seconds=10)
    closed = _closed_at(close_at)
    trail = DeviceTrail(close_at - MS, 40, "", flooding=True)

    def late(seq: int, boot: str, now_after: timedelta) -> bool:
        return from_before_close(
            trail, closed, (seq, boot, None), close_at + now_after, WINDOW, 100
        )

    assert late(41, "", 5 * MS)  # the queue drains: 6 ms after the previous press
    assert not late(41, "", BURST_GAP + MS)  # a person pressing again
    assert late(39, "", timedelta(seconds=5))  # below a seq already seen: made before it
    single = DeviceTrail(close_at - MS, 40, "")  # one press, answered at once, pressed again
    assert not from_before_close(single, closed, (41, "", None), close_at + 5 * MS, WINDOW, 100)
    restarted = DeviceTrail(close_at - MS, 500, "")
    made = (1, "", None)  # far below the newest: a restarted counter, a new press
    assert not from_before_close(restarted, closed, made, close_at + MS * 300, WINDOW, 100)
    assert not late(39, "", WINDOW)  # too long after the close to tell
    assert not late(41, "b2", 5 * MS)  # a new boot is a new counter


def test_the_trail_keeps_the_fastest_hop_and_restarts_with_a_new_boot() -> None:
    t = follow(None, 1, "", T0 - 50 * MS, T0)
    t = follow(t, 2, "", T0, T0 + 10 * MS)
    assert t.clock_lead == 10 * MS and t.newest_seq == 2
    t = follow(t, 1, "b2", None, T0 + 20 * MS)
    assert t.boot == "b2" and t.newest_seq == 1 and t.clock_lead is None


def test_a_trail_rebuilt_from_stored_keys_is_the_one_the_presses_left_as_they_arrived() -> None:
    presses = [  # seq, boot, device time, received: stored in no particular order
        (3, "", T0 + 5 * MS, T0 + 40 * MS),
        (1, "", T0 - 50 * MS, T0),
        (2, "", T0 + 2 * MS, T0 + 12 * MS),
    ]
    rebuilt = trail_of(presses)
    live = None
    for seq, boot, ts, at in sorted(presses, key=lambda p: p[3]):
        live = follow(live, seq, boot, ts, at)
    assert rebuilt == live
    assert rebuilt is not None and rebuilt.newest_seq == 3 and rebuilt.clock_lead == 10 * MS
    assert rebuilt.last_arrival == T0 + 40 * MS
    assert trail_of([]) is None


def test_a_rebuilt_trail_follows_the_newest_boot_and_places_a_late_press() -> None:
    close_at = T0 + timedelta(seconds=10)
    closed = _closed_at(close_at)
    old_boot = [(n, "b1", None, T0 + n * MS) for n in range(1, 60)]
    trail = trail_of([*old_boot, (5, "b2", None, T0 + 100 * MS), (6, "b2", None, T0 + 200 * MS)])
    assert trail is not None and trail.boot == "b2" and trail.newest_seq == 6
    after_restart = close_at + timedelta(seconds=8)  # the service was down for a few seconds
    assert from_before_close(trail, closed, (4, "b2", None), after_restart, WINDOW, 100)
    assert not from_before_close(trail, closed, (7, "b2", None), after_restart, WINDOW, 100)
    assert not from_before_close(trail, closed, (4, "b1", None), after_restart, WINDOW, 100)
    timed = trail_of([(1, "", T0 - 30 * MS, T0)])  # a 30 ms lead: clock and hop
    assert timed is not None
    late_ts = close_at - timedelta(seconds=1) - 30 * MS
    an_hour_on = close_at + timedelta(hours=1)  # with a device time, however late
    assert from_before_close(timed, closed, (2, "", late_ts), an_hour_on, WINDOW, 100)
    new_ts = close_at + timedelta(seconds=1)
    assert not from_before_close(timed, closed, (2, "", new_ts), an_hour_on, WINDOW, 100)


def _closed_at(at: datetime) -> AlarmState:
    run = Run(ctx("lise"))
    run.do(press(seq=1))
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"), T0)
    run.do(cmd.GiveAllClear(person_id="lise"), at)
    assert run.alarm.closed_at == at
    return run.alarm


def test_a_repeat_after_the_clock_went_back_is_recorded_at_once_not_held_for_ever() -> None:
    """The alarm was raised under a clock 90 s ahead (a restart fixed it): a repeat must not wait
    until that clock's second ends, long after the timeline is read."""
    run = Run(ctx("lise"))
    run.do(press(seq=1), T0 + timedelta(seconds=90))
    d = run.do(press(seq=2), T0)
    assert held_of(d.effects) is None
    (row,) = d.events
    assert isinstance(row, ev.PressRepeated) and row.count == 1
