"""The debrief's numbers and deviations, from hand-written timelines (no service, no clock)."""

from __future__ import annotations

from datetime import timedelta

from app.core import events as ev
from app.core.debrief import (
    DeviationKind,
    deviations,
    press_time,
    role_ids,
    role_times,
    rows,
    summary,
)
from app.core.office import AlarmMode, Gesture, Level
from tests.unit.office_fixtures import T0


def at(s: float) -> timedelta:
    return timedelta(seconds=s)


def raised(*roles: str) -> list[ev.Event]:
    return [
        ev.PressReceived(
            at=T0, actor="device:desk-1", device_id="desk-1", seq=1, gesture=Gesture.HOLD
        ),
        ev.AlarmRaised(
            at=T0 + at(0.01),
            actor="system",
            alarm_id="a-1",
            office_id="o1",
            device_id="desk-1",
            location_id="reception",
            level=Level.ACUTE,
            mode=AlarmMode.REAL,
            rolecard_version="v1",
            role_ids=roles,
        ),
    ]


def offered(role: str, s: float, *people: str, within: float = 20, n: int = 1) -> ev.RoleOffered:
    return ev.RoleOffered(
        at=T0 + at(s),
        actor="system",
        role_id=role,
        person_ids=people,
        stage="holder" if n == 1 else "deputy",
        offer_no=n,
        due_at=T0 + at(s + within),
    )


def accepted(role: str, s: float, person: str) -> ev.RoleAccepted:
    return ev.RoleAccepted(at=T0 + at(s), actor=f"person:{person}", role_id=role, person_id=person)


def step(role: str, s: float, person: str, n: int) -> ev.StepCompleted:
    return ev.StepCompleted(
        at=T0 + at(s), actor=f"person:{person}", role_id=role, person_id=person, step=n
    )


def all_clear(s: float) -> ev.AllClearGiven:
    return ev.AllClearGiven(at=T0 + at(s), actor="person:lise", person_id="lise", role_id="leader")


def smooth_alarm() -> list[ev.Event]:
    return [
        *raised("leader", "guard"),
        offered("leader", 0.02, "lise"),
        offered("guard", 0.02, "gro", within=15),
        accepted("guard", 4.02, "gro"),
        accepted("leader", 6.02, "lise"),
        step("guard", 10.02, "gro", 1),
        step("guard", 12, "gro", 2),
        step("guard", 13, "gro", 1),  # a repeated tick counts once
        all_clear(60),
    ]


def test_per_role_times_are_press_to_offer_offer_to_accept_and_accept_to_first_step() -> None:
    times = {t.role_id: t for t in role_times(smooth_alarm())}
    guard = times["guard"]
    assert guard.press_to_offer_s == 0.02
    assert guard.offer_to_accept_s == 4.0
    assert guard.accept_to_first_step_s == 6.0
    assert guard.holder_id == "gro"
    assert guard.steps_done == (1, 2)
    assert not guard.late
    leader = times["leader"]
    assert leader.offer_to_accept_s == 6.0
    assert leader.first_step_at is None and leader.accept_to_first_step_s is None
    assert list(times) == ["leader", "guard"]  # card order


def test_a_smooth_alarm_has_no_deviations_and_a_summary() -> None:
    events = smooth_alarm()
    assert deviations(events, {"leader", "guard"}) == []
    s = summary(events)
    assert s.outcome == "resolved"
    assert s.press_to_first_accept_s == 4.02
    assert s.duration_s == 60.0
    assert s.closed_at == T0 + at(60)


def test_a_role_nobody_took_a_decline_and_a_timeout_are_deviations() -> None:
    events = [
        *raised("leader", "police"),
        offered("leader", 0, "lise"),
        offered("police", 0, "per"),
        accepted("leader", 3, "lise"),
        ev.RoleDeclined(
            at=T0 + at(5), actor="person:per", role_id="police", person_id="per", reason="busy"
        ),
        offered("police", 5, "kari", n=2, within=10),
        ev.OfferTimedOut(
            at=T0 + at(15), actor="system", role_id="police", person_ids=("kari",), offer_no=2
        ),
        ev.RoleUnfilled(at=T0 + at(15), actor="system", role_id="police"),
        all_clear(30),
    ]
    found = deviations(events, {"leader", "police"})
    assert [(d.kind, d.role_id) for d in found] == [
        (DeviationKind.DECLINED, "police"),
        (DeviationKind.TIMED_OUT, "police"),
        (DeviationKind.UNFILLED, "police"),
        (DeviationKind.NOT_TAKEN, "police"),
    ]
    assert found[0].person_ids == ("per",)
    assert found[1].person_ids == ("kari",)
    assert found[-1].at == T0 + at(30)
    police = next(t for t in role_times(events) if t.role_id == "police")
    assert police.declines == 1 and police.timeouts == 1
    assert police.unfilled_at == T0 + at(15)
    assert police.accepted_at is None and police.offer_to_accept_s is None


def test_an_optional_role_nobody_took_is_not_a_deviation() -> None:
    events = [
        *raised("leader", "runner"),
        offered("leader", 0, "lise"),
        accepted("leader", 1, "lise"),
        all_clear(9),
    ]
    assert deviations(events, {"leader"}) == []
    times = {t.role_id: t for t in role_times(events, {"leader"})}
    assert times["leader"].required and not times["runner"].required
    assert times["runner"].first_offer_at is None


def test_an_accept_after_the_first_deadline_is_late_even_from_a_deputy() -> None:
    events = [
        *raised("guard"),
        offered("guard", 0, "gro", within=15),
        ev.OfferTimedOut(
            at=T0 + at(15), actor="system", role_id="guard", person_ids=("gro",), offer_no=1
        ),
        offered("guard", 15, "per", n=2),
        accepted("guard", 18.5, "per"),
        all_clear(40),
    ]
    late = [d for d in deviations(events, {"guard"}) if d.kind is DeviationKind.LATE_ACCEPT]
    assert len(late) == 1
    assert late[0].late_by_s == 3.5 and late[0].person_ids == ("per",)
    guard = role_times(events)[0]
    assert guard.late and guard.offer_to_accept_s == 18.5


def test_an_open_alarm_has_no_not_taken_yet_and_a_cancel_is_a_deviation() -> None:
    open_events = [*raised("leader"), offered("leader", 0, "lise")]
    assert deviations(open_events, {"leader"}) == []
    assert summary(open_events).outcome == "open"
    assert summary(open_events).duration_s is None
    cancelled = [
        *open_events,
        ev.AlarmCancelled(at=T0 + at(8), actor="device:desk-1", device_id="desk-1", seq=2),
    ]
    kinds = [d.kind for d in deviations(cancelled, {"leader"})]
    assert kinds == [DeviationKind.CANCELLED, DeviationKind.NOT_TAKEN]
    assert summary(cancelled).outcome == "cancelled"


def test_press_time_falls_back_to_the_alarm_and_rows_describe_each_event() -> None:
    events = smooth_alarm()
    assert press_time(events) == T0
    assert press_time(events[1:]) == T0 + at(0.01)
    assert press_time([]) is None
    assert role_ids(events) == ("leader", "guard")
    flat = rows(events)
    assert [r.type for r in flat][:3] == ["PressReceived", "AlarmRaised", "RoleOffered"]
    assert flat[0].detail == "gesture hold, seq 1" and flat[0].since_press_s == 0.0
    assert flat[2].role_id == "leader" and flat[2].person_ids == ("lise",)
    assert flat[6].person_ids == ("gro",) and flat[6].detail == "step 1"
    assert flat[-1].since_press_s == 60.0
