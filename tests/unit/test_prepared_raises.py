"""Raises decided ahead (app.service.prepared): used only when nothing they were decided from has
changed, recorded exactly as a decision made on the press's path would be, checked against a
fresh decision once durable (unless its inputs changed meanwhile), switched off if a check fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn

import pytest
from structlog.testing import capture_logs

import app.service.dispatcher as dispatcher_module
from app.core import commands as cmd
from app.core import events as ev
from app.core.office import AlarmMode, Gesture, Office
from app.core.rebase import PreparedDecision, moved_state, rebase
from app.service.dispatcher import alarm_id_for
from app.service.metrics import Metrics
from app.service.ports import PressKey
from app.service.prepared import Basis, PreparedRaises, minute_of
from tests.fakes.clock import ManualClock, settle
from tests.unit.test_dispatcher import T0, GatedStore, World

TURN_OFF = PreparedRaises.turn_off  # as defined, before any test patches it


def outcomes(w: World) -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for metric in w.metrics.prepared_raises.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


async def settled(*people: str, prepare_raises: bool = True) -> World:
    w = World(clock=ManualClock(T0), prepare_raises=prepare_raises)
    w.present(*people)
    await settle()  # the pass that prepares runs in the background
    return w


async def press(w: World, seq: int, device: str = "desk-1", **extra: object) -> str | None:
    device_ts = w.clock.now() - timedelta(seconds=2)
    key = PressKey(device, seq, device_ts.isoformat())
    return await w.dispatcher.press(
        w.office, key, Gesture.SINGLE, device_ts=device_ts, battery=77, **extra
    )


async def timeline(w: World, alarm_id: str) -> list[ev.Event]:
    return [stored.event for stored in await w.store.events(alarm_id)]


async def test_a_prepared_raise_is_recorded_and_pushed_exactly_as_a_fresh_decision() -> None:
    ahead = await settled("lise", "per", "gro")
    fresh = await settled("lise", "per", "gro", prepare_raises=False)
    for w in (ahead, fresh):
        await w.clock.advance(7.25)  # later than the preparation, in the same minute
    alarm_id = await press(ahead, seq=5)
    assert (
        alarm_id
        == await press(fresh, seq=5)
        == alarm_id_for(PressKey("desk-1", 5, (T0 + timedelta(seconds=5.25)).isoformat()))
    )
    assert outcomes(ahead) == {"used": 1.0}
    assert outcomes(fresh) == {"fresh": 1.0}
    assert await timeline(ahead, alarm_id) == await timeline(fresh, alarm_id)
    assert ahead.notifier.sent == fresh.notifier.sent
    assert ahead.dispatcher.open_alarm(alarm_id) == fresh.dispatcher.open_alarm(alarm_id)
    received = (await timeline(ahead, alarm_id))[0]
    assert isinstance(received, ev.PressReceived)
    assert (received.seq, received.battery, received.at) == (5, 77, T0 + timedelta(seconds=7.25))


async def test_a_change_not_yet_prepared_for_is_decided_on_the_press_path() -> None:
    w = await settled("lise", "per", "gro")
    w.presence.left(w.office.id, "gro", "hs-gro")  # no loop turn: nothing re-prepared yet
    alarm_id = await press(w, seq=1)
    assert outcomes(w) == {"fresh": 1.0}
    assert alarm_id is not None and "gro" not in {p for _, p, _ in w.notifier.offers()}
    await settle()
    await press(w, seq=1, device="worn-1")
    assert outcomes(w) == {"fresh": 1.0, "used": 1.0}


async def test_a_new_minute_is_prepared_for_at_its_start() -> None:
    w = await settled("lise", "per", "gro")
    boundary = T0.replace(second=0) + timedelta(minutes=1)
    assert boundary in w.clock.pending
    await w.clock.run_until(boundary + timedelta(seconds=30))
    await press(w, seq=1)
    assert outcomes(w) == {"used": 1.0}


async def test_someone_busy_in_one_alarm_is_not_offered_a_role_in_a_prepared_second() -> None:
    w = await settled("lise", "per", "gro")
    first = await press(w, seq=1)
    assert first is not None
    await w.dispatcher.handle(w.office, first, cmd.AcceptRole(person_id="lise", role_id="leader"))
    await settle()
    second = await press(w, seq=1, device="worn-1")
    assert outcomes(w) == {"used": 2.0}
    assert "lise" not in {p for a, p, _ in w.notifier.offers() if a == second}


@pytest.mark.parametrize("why", ["drill", "replay"])
async def test_drills_and_possible_replays_are_decided_on_the_press_path(why: str) -> None:
    w = await settled("lise", "per", "gro")
    if why == "drill":
        alarm_id = await press(w, seq=1, mode=AlarmMode.DRILL)
    else:
        an_hour_ago = T0 - timedelta(hours=1)
        key = PressKey("desk-1", 1, an_hour_ago.isoformat())
        alarm_id = await w.dispatcher.press(w.office, key, Gesture.SINGLE, an_hour_ago)
    assert alarm_id is not None
    assert outcomes(w) == {"fresh": 1.0}
    replayed = any(isinstance(e, ev.PossibleReplay) for e in await timeline(w, alarm_id))
    assert replayed is (why == "replay")


async def test_a_prepared_raise_that_differs_switches_them_off_and_the_alarm_goes_on_as_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def times_not_moved(real: Callable[..., object]) -> Callable[..., object]:  # a bug to catch
        def moved(prepared: PreparedDecision, **press: object) -> object:
            return real(prepared, **{**press, "now": prepared.decided_at})

        return moved

    monkeypatch.setattr(dispatcher_module, "rebase", times_not_moved(rebase))
    monkeypatch.setattr(dispatcher_module, "moved_state", times_not_moved(moved_state))
    # what the suite-wide check (tests/conftest.py) fails on is expected here
    monkeypatch.setattr(PreparedRaises, "turn_off", TURN_OFF)
    w = await settled("lise", "per", "gro")
    await w.clock.advance(9)
    with capture_logs() as logs:
        alarm_id = await press(w, seq=1)
    assert alarm_id is not None
    assert outcomes(w) == {"differed": 1.0}
    assert any(e["log_level"] == "error" and "differed" in e["event"] for e in logs)
    # what the handsets were told is what is recorded and what the dispatcher goes on from
    state = w.dispatcher.open_alarm(alarm_id)
    assert state is not None and state.raised_at == T0
    assert [e.at for e in await timeline(w, alarm_id)][:2] == [T0, T0]
    await settle()
    await press(w, seq=1, device="worn-1")
    assert outcomes(w) == {"differed": 1.0, "fresh": 1.0}


async def test_a_raise_whose_inputs_changed_before_it_was_durable_is_left_unchecked() -> None:
    w = World(GatedStore(), ManualClock(T0))
    w.present("lise", "per", "gro")
    await settle()
    w.store.gate.clear()  # a slow database: the check waits for the commit
    pressing = asyncio.create_task(press(w, seq=1))
    await settle()
    assert w.notifier.offers()  # out before the commit, as always
    w.presence.left(w.office.id, "per", "hs-per")
    w.store.gate.set()
    assert await pressing is not None
    assert outcomes(w) == {"unchecked": 1.0}


async def test_presence_in_an_unrelated_office_leaves_prepared_raises_in_use() -> None:
    w = await settled("lise", "per", "gro")
    w.presence.arrived("another-office", "ola", "hs-ola")  # no loop turn: nothing re-prepared
    await press(w, seq=1)
    assert outcomes(w) == {"used": 1.0}


async def test_a_raise_that_cannot_be_prepared_is_tried_once_per_basis() -> None:
    office = World().office
    tried: list[str] = []

    def failing(
        office: Office, press: cmd.RaiseAlarm, now: datetime, busy: frozenset[str]
    ) -> NoReturn:
        tried.append(press.device_id)
        raise ValueError("cannot")

    basis = Basis(
        offices=1, presence=(0,), acknowledged=None, busy=frozenset(), minute=minute_of(T0)
    )
    raises = PreparedRaises(
        decide=failing,
        basis=lambda office_id, now: basis,
        offices=lambda: [office],
        clock=ManualClock(T0),
        metrics=Metrics(),
    )
    with capture_logs() as logs:
        for _ in range(3):
            raises.stale()
            await settle()
    levels = {(d, t.level_for(g)) for d, t in office.triggers.items() for g in Gesture}
    assert sorted(tried) == sorted(d for d, _ in levels)
    assert [e["event"] for e in logs] == ["cannot prepare a raise"] * len(levels)
    assert raises.take(office, "desk-1", Gesture.SINGLE, AlarmMode.REAL, T0) is None
    await raises.aclose()


async def test_a_check_that_fails_never_fails_the_press(monkeypatch: pytest.MonkeyPatch) -> None:
    w = await settled("lise", "per", "gro")

    def broken(*args: object) -> NoReturn:
        raise RuntimeError("broken core")

    monkeypatch.setattr(dispatcher_module, "decide", broken)  # only the check decides now
    monkeypatch.setattr(PreparedRaises, "turn_off", TURN_OFF)  # expected here
    with capture_logs() as logs:
        alarm_id = await press(w, seq=1)
    assert alarm_id is not None and await w.store.alarm(alarm_id) is not None
    assert outcomes(w) == {"differed": 1.0}
    assert any("the fresh decision failed" in str(e.get("why")) for e in logs)
