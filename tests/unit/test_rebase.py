"""A raise decided ahead for a template press, moved onto a real press, is the decision that
press gets when decided fresh: for any presence, busy people, gesture, press values and times,
on the property-test office and on every shipped office's every trigger."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.loader import load_office_file
from app.core import commands as cmd
from app.core import events as ev
from app.core.assignment import DispatchContext
from app.core.draft import Decision
from app.core.office import AlarmMode, Gesture, Office
from app.core.rebase import (
    REPLAY_SKEW,
    TEMPLATE_ALARM_ID,
    PreparedDecision,
    possible_replay,
    rebase,
    template_press,
)
from app.core.transitions import decide
from tests.unit.office_fixtures import T0
from tests.unit.test_core_properties import OFFICE, PEOPLE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHIPPED = sorted(
    p
    for p in [EXAMPLES / "demo-office.yaml", *(EXAMPLES / "offices").glob("*.yaml")]
    if p.stem != "northern-as-is"
)


def fresh_and_rebased(
    office: Office,
    ctx: DispatchContext,
    press: cmd.RaiseAlarm,
    decided_at: datetime,
    now: datetime,
    template_gesture: Gesture | None = None,
) -> tuple[Decision, Decision]:
    """A fresh decision for `press`, and one prepared for a template press (of a gesture that
    raises the same level) and moved onto it."""
    gesture = template_gesture or press.gesture
    template = template_press(press.device_id, gesture, press.mode)
    prepared = PreparedDecision.of(decide(None, template, ctx, decided_at), decided_at)
    moved = rebase(
        prepared,
        now=now,
        alarm_id=press.alarm_id,
        seq=press.seq,
        gesture=press.gesture,
        device_ts=press.device_ts,
        battery=press.battery,
    )
    return decide(None, press, ctx, now), moved


@settings(max_examples=300, deadline=None)
@given(
    present=st.frozensets(st.sampled_from(PEOPLE)),
    busy=st.frozensets(st.sampled_from(PEOPLE), max_size=3),
    device=st.sampled_from(["desk-1", "worn-1"]),
    gesture=st.sampled_from(list(Gesture)),
    template_gesture=st.sampled_from(list(Gesture)),
    seq=st.integers(0, 2**63 - 1),
    battery=st.one_of(st.none(), st.integers(0, 100)),
    ahead_s=st.floats(0, 3600 * 24),
    skew_s=st.one_of(st.none(), st.floats(-REPLAY_SKEW.total_seconds(), 299)),
)
def test_a_rebased_raise_equals_the_fresh_decision(
    present: frozenset[str],
    busy: frozenset[str],
    device: str,
    gesture: Gesture,
    template_gesture: Gesture,
    seq: int,
    battery: int | None,
    ahead_s: float,
    skew_s: float | None,
) -> None:
    ctx = DispatchContext(office=OFFICE, present=present, busy=busy)
    now = T0 + timedelta(seconds=ahead_s)
    device_ts = None if skew_s is None else now - timedelta(seconds=skew_s)
    press = cmd.RaiseAlarm(
        alarm_id="a-0123456789abcdef0123",
        device_id=device,
        seq=seq,
        gesture=gesture,
        device_ts=device_ts,
        battery=battery,
    )
    trigger = OFFICE.triggers[device]
    if trigger.level_for(template_gesture) != trigger.level_for(gesture):
        template_gesture = gesture  # prepared per level: a template of another level is not used
    fresh, moved = fresh_and_rebased(OFFICE, ctx, press, T0, now, template_gesture)
    assert moved == fresh


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_trigger_of_every_shipped_office_rebases_exactly(path: Path) -> None:
    office = load_office_file(path).office
    everyone = frozenset(office.people)
    for device_id in office.triggers:
        trigger = office.triggers[device_id]
        for gesture, template_gesture in product(Gesture, Gesture):
            if trigger.level_for(gesture) != trigger.level_for(template_gesture):
                continue
            for present in (everyone, everyone - {sorted(everyone)[0]}, frozenset()):
                ctx = DispatchContext(office=office, present=present, today=T0.date())
                press = cmd.RaiseAlarm(
                    alarm_id="a-feedfacefeedfacefeed",
                    device_id=device_id,
                    seq=41,
                    gesture=gesture,
                    device_ts=T0 + timedelta(seconds=90),
                    battery=12,
                    mode=AlarmMode.REAL,
                )
                now = T0 + timedelta(seconds=95, microseconds=123)
                fresh, moved = fresh_and_rebased(office, ctx, press, T0, now, template_gesture)
                assert moved == fresh, (path.stem, device_id, gesture, template_gesture)
                assert TEMPLATE_ALARM_ID not in repr(moved)


def test_a_press_that_may_be_a_replay_is_not_rebased() -> None:
    """The fresh decision flags it; a template has no flag, so the dispatcher decides it."""
    now = T0
    assert not possible_replay(now, None)
    assert not possible_replay(now, now - REPLAY_SKEW)
    assert possible_replay(now, now - REPLAY_SKEW - timedelta(seconds=1))
    assert possible_replay(now, now + REPLAY_SKEW + timedelta(seconds=1))
    ctx = DispatchContext(office=OFFICE, present=frozenset(PEOPLE))
    late = cmd.RaiseAlarm(
        alarm_id="a-1", device_id="desk-1", seq=1, device_ts=now - timedelta(hours=1)
    )
    fresh, moved = fresh_and_rebased(OFFICE, ctx, late, T0, now)
    assert any(isinstance(e, ev.PossibleReplay) for e in fresh.events)
    assert moved != fresh


def test_a_decision_holding_a_nested_record_cannot_be_prepared() -> None:
    ctx = DispatchContext(office=OFFICE, present=frozenset(PEOPLE))
    decision = decide(None, template_press("desk-1", Gesture.SINGLE, AlarmMode.REAL), ctx, T0)
    odd = Decision(
        events=(*decision.events, ev.AlarmShared(at=T0, actor=ev.SYSTEM, office_ids=())),
        effects=(*decision.effects,),
        state=decision.state,
    )
    PreparedDecision.of(odd, T0)  # flat records only: fine
    nested = Decision(events=(decision,), effects=(), state=decision.state)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="holds a record"):
        PreparedDecision.of(nested, T0)
