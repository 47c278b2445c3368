"""Outreach on fakes and a manual clock: a missed check-out or a panic raises an alarm through
`raise_alarm`; a missing `outreach` device or a failing raise is recorded on the session; the
timers come back after a restart; and the dispatcher's raiser makes one real, acute alarm."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.compose.dispatch import dispatcher_for
from app.core import events as ev
from app.core.learning.outreach import Checklist
from app.core.learning.terms import SessionStatus
from app.service.learning.outreach import Outreach, dispatcher_raiser
from app.service.learning.ports import Conflict, Invalid
from app.service.metrics import Metrics
from app.service.presence import Presence
from tests.fakes.handsets import RecordingFeedback, RecordingNotifier
from tests.unit.learning_world import MIN, T0, World


@pytest.fixture
def w(tmp_path: Path) -> World:
    return World(tmp_path)


# --- outreach ------------------------------------------------------------------------------


async def start_session(w: World, minutes: int = 60, grace_s: int = 600) -> str:
    row = await w.learning.outreach.start(
        "demo", "per", "Hjemmebesøk, Storgata", T0 + minutes * MIN, ["lise"], Checklist(), grace_s
    )
    return row.session_id


async def test_a_missed_checkout_raises_an_alarm_after_the_grace_period(w: World) -> None:
    session_id = await start_session(w)
    await w.clock.advance(69 * 60)
    assert w.raised == []
    await w.clock.advance(60)
    assert w.raised == [("demo", "outreach", f"{session_id}:overdue")]
    row = await w.store.session(session_id)
    assert row is not None and row.status is SessionStatus.ALARMED and row.alarm_id == "a-1"
    checked_out = await w.learning.outreach.checkout(session_id, "Gikk fint til slutt")
    assert checked_out.status is SessionStatus.CHECKED_OUT and checked_out.alarm_id == "a-1"
    assert checked_out.place == "Hjemmebesøk, Storgata"  # kept for the alarm's debrief


async def test_checkin_moves_the_deadline_and_checkout_stops_it(w: World) -> None:
    session_id = await start_session(w)
    await w.clock.advance(50 * 60)
    await w.learning.outreach.checkin(session_id, T0 + 120 * MIN)
    await w.clock.advance(40 * 60)
    assert w.raised == []
    with pytest.raises(Invalid):
        await w.learning.outreach.checkin(session_id, T0 - MIN)
    done = await w.learning.outreach.checkout(session_id)
    assert done.place == ""  # no alarm: where the visit was is not kept
    await w.clock.advance(6 * 3600)
    assert w.raised == [] and w.clock.pending == []
    with pytest.raises(Conflict):
        await w.learning.outreach.panic(session_id)


async def test_panic_raises_at_once(w: World) -> None:
    session_id = await start_session(w)
    row = await w.learning.outreach.panic(session_id)
    assert w.raised == [("demo", "outreach", f"{session_id}:panic")]
    assert row.status is SessionStatus.ALARMED and row.alarm_reason is not None
    await w.clock.advance(3 * 3600)
    assert len(w.raised) == 1  # the check-out timer went with the panic


async def test_without_an_outreach_device_the_session_records_the_error(tmp_path: Path) -> None:
    w = World(tmp_path, outreach=False)
    session_id = await start_session(w, minutes=10, grace_s=0)
    assert w.learning.outreach.alarm_problem("demo") is not None
    await w.clock.advance(10 * 60)
    row = await w.store.session(session_id)
    assert w.raised == [] and row is not None
    assert row.status is SessionStatus.ACTIVE and "outreach" in (row.error or "")
    ready = await w.learning.readiness("demo")
    assert ready.overdue_outreach == 1 and ready.outreach_alarm_problem is not None


async def test_a_failing_raise_is_recorded_not_thrown(w: World) -> None:
    w.fail_raise = True
    session_id = await start_session(w, minutes=5, grace_s=0)
    await w.clock.advance(5 * 60)
    row = await w.store.session(session_id)
    assert row is not None and "ConnectionError" in (row.error or "")


async def test_active_sessions_are_armed_again_after_a_restart(w: World) -> None:
    session_id = await start_session(w, minutes=5, grace_s=60)
    await w.learning.close()
    restarted = Outreach(w.store, w.offices, w.clock, w.raise_alarm)
    await w.clock.advance(10 * 60)  # the old timer was cancelled with the old service
    assert w.raised == []
    await restarted.load()  # already overdue: fires at once
    await w.clock.advance(0)
    assert w.raised == [("demo", "outreach", f"{session_id}:overdue")]
    await restarted.close()


async def test_a_session_names_staff_only(w: World) -> None:
    with pytest.raises(Invalid):
        await w.learning.outreach.start(
            "demo", "per", "x", T0 + MIN, ["client-17"], Checklist(), 600
        )
    with pytest.raises(Invalid):
        await w.learning.outreach.start("demo", "per", "x", T0 + 25 * 60 * MIN, [], Checklist(), 60)


async def test_the_dispatcher_raiser_makes_one_real_acute_alarm_per_session_and_reason(
    w: World,
) -> None:
    dispatcher = dispatcher_for(
        offices=w.offices,
        store=w.alarms,
        clock=w.clock,
        presence=Presence(),
        notifier=RecordingNotifier(),
        feedback=RecordingFeedback(),
        metrics=Metrics(),
    )
    raise_alarm = dispatcher_raiser(w.offices, dispatcher)
    outreach = Outreach(w.store, w.offices, w.clock, raise_alarm)
    row = await outreach.start("demo", "per", "Kafé", T0 + 30 * MIN, [], Checklist(), 60)
    raised = await outreach.panic(row.session_id)
    assert raised.alarm_id is not None and raised.error is None
    summary = await w.alarms.alarm(raised.alarm_id)
    assert summary is not None and summary.device_id == "outreach"
    assert (summary.mode, summary.level) == ("real", "acute")
    again = await raise_alarm("demo", "outreach", f"{row.session_id}:panic", "per")
    assert again == raised.alarm_id and await w.alarms.open_alarm_ids() == [raised.alarm_id]
    # a second worker in trouble at the same time is a second alarm, naming her, not the first
    other = await outreach.start("demo", "lise", "Hjemmebesøk", T0 + 30 * MIN, [], Checklist(), 60)
    second = await outreach.panic(other.session_id)
    assert second.alarm_id is not None and second.alarm_id != raised.alarm_id
    assert sorted(await w.alarms.open_alarm_ids()) == sorted([raised.alarm_id, second.alarm_id])
    pressers = []
    for alarm_id in (raised.alarm_id, second.alarm_id):
        events = [s.event for s in await w.alarms.events(alarm_id)]
        pressers += [e.presser_id for e in events if isinstance(e, ev.AlarmRaised)]
    assert pressers == ["per", "lise"]
    await dispatcher.close()
    await outreach.close()
