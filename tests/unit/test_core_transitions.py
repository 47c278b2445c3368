"""The alarm lifecycle, rule by rule, through decide/evolve only (no I/O, injected time)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, SlotStatus, Stage, evolve, fold
from app.core.assignment import DispatchContext
from app.core.office import Gesture, Level, NamedAssignment, PoolAssignment, Stance
from app.core.transitions import TABLE, Decision, InvalidTransition, decide
from tests.unit.office_fixtures import T0, office, role

LEADER = role(
    "leader",
    NamedAssignment("lise", ("per",)),
    leader=True,
    stance=Stance.EXTERNAL_CONTACT,
)
GUARD = role("guard", NamedAssignment("gunn", ("per",)))


class Run:
    """Drives one alarm: applies each decision's events and remembers what happened."""

    def __init__(self, ctx: DispatchContext) -> None:
        self.ctx = ctx
        self.state: AlarmState | None = None
        self.log: list[ev.Event] = []

    def do(self, command: cmd.Command, at: datetime = T0) -> Decision:
        decision = decide(self.state, command, self.ctx, at)
        for event in decision.events:
            self.state = evolve(self.state, event)
        self.log.extend(decision.events)
        return decision

    @property
    def alarm(self) -> AlarmState:
        assert self.state is not None
        return self.state

    def offers(self, decision: Decision) -> set[tuple[str, str]]:
        return {(e.person_id, e.role_id) for e in decision.effects if isinstance(e, fx.PushOffer)}


def press(
    device: str = "desk-1", seq: int = 1, gesture: Gesture = Gesture.SINGLE
) -> cmd.RaiseAlarm:
    return cmd.RaiseAlarm(alarm_id="a-1", device_id=device, seq=seq, gesture=gesture)


def ctx(*present: str, o=None) -> DispatchContext:  # type: ignore[no-untyped-def]
    return DispatchContext(office=o or office(LEADER, GUARD), present=frozenset(present))


def test_press_offers_each_role_to_its_present_holder_and_tells_the_rest() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    d = run.do(press())
    assert [type(e).__name__ for e in d.events[:2]] == ["PressReceived", "AlarmRaised"]
    assert run.offers(d) == {("lise", "leader"), ("gunn", "guard")}
    notices = [e for e in d.effects if isinstance(e, fx.PushNotice)]
    assert notices == [fx.PushNotice("a-1", ("per",))]
    assert fx.SendFeedback("a-1", "desk-1", fx.FeedbackState.RECEIVED) in d.effects
    deadlines = {e.role_id: e.due_at for e in d.effects if isinstance(e, fx.ArmDeadline)}
    assert deadlines == {"leader": T0 + timedelta(seconds=20), "guard": T0 + timedelta(seconds=20)}


def test_gesture_sets_the_level() -> None:
    run = Run(ctx("lise"))
    run.do(press(gesture=Gesture.HOLD))
    assert run.alarm.level is Level.ACUTE


def test_absent_holder_is_skipped_for_the_deputy_without_waiting() -> None:
    run = Run(ctx("per", "gunn"))
    d = run.do(press())
    assert ("per", "leader") in run.offers(d)
    assert run.alarm.slot("leader").stage is Stage.DEPUTY


def test_timeout_goes_to_the_deputy_then_to_everyone_present_then_unfilled() -> None:
    o = office(LEADER, GUARD, people=("ola",))
    run = Run(ctx("lise", "per", "ola", o=o))
    run.do(press())
    first = run.alarm.slot("guard")
    assert first.status is SlotStatus.UNFILLED or first.stage is not None
    d = run.do(cmd.ExpireOffer(role_id="leader", offer_no=1), T0 + timedelta(seconds=20))
    assert ("per", "leader") in run.offers(d)
    d = run.do(cmd.ExpireOffer(role_id="leader", offer_no=2), T0 + timedelta(seconds=40))
    assert run.alarm.slot("leader").stage is Stage.EVERYONE
    assert ("ola", "leader") in run.offers(d)
    assert ("gunn", "leader") not in run.offers(d)  # gunn is absent
    run.do(cmd.ExpireOffer(role_id="leader", offer_no=3), T0 + timedelta(seconds=60))
    assert run.alarm.slot("leader").status is SlotStatus.UNFILLED
    # escalation widens the circle: earlier offers stay live, a late accept still counts
    assert run.alarm.slot("leader").offered == {"lise", "per", "ola"}
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"), T0 + timedelta(seconds=70))
    assert run.alarm.slot("leader").holder_id == "lise"


def test_timeouts_are_recorded_with_who_did_not_answer() -> None:
    run = Run(ctx("lise", "per"))
    run.do(press())
    d = run.do(cmd.ExpireOffer(role_id="leader", offer_no=1), T0 + timedelta(seconds=20))
    timed_out = [e for e in d.events if isinstance(e, ev.OfferTimedOut)]
    assert timed_out[0].person_ids == ("lise",)


def test_stale_deadline_is_a_no_op() -> None:
    run = Run(ctx("lise", "per"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    d = run.do(cmd.ExpireOffer(role_id="leader", offer_no=1), T0 + timedelta(seconds=20))
    assert d.events == () and d.effects == ()


def test_decline_goes_to_the_next_candidate_at_once() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    d = run.do(
        cmd.DeclineRole(person_id="lise", role_id="leader", reason="driving"),
        T0 + timedelta(seconds=3),
    )
    assert ("per", "leader") in run.offers(d)
    declined = [e for e in d.events if isinstance(e, ev.RoleDeclined)]
    assert declined[0].reason == "driving" and declined[0].actor == "person:lise"


def test_accept_takes_the_role_and_withdraws_the_persons_other_offers() -> None:
    # per is deputy for both; with lise and gunn absent per is offered both roles
    run = Run(ctx("per", "ola", o=office(LEADER, GUARD, people=("ola",))))
    d = run.do(press())
    assert {("per", "leader"), ("per", "guard")} <= run.offers(d)
    d = run.do(cmd.AcceptRole(person_id="per", role_id="guard"), T0 + timedelta(seconds=2))
    assert run.alarm.slot("guard").holder_id == "per"
    # one role per person: the leader role moves on to everyone present at once
    assert run.alarm.slot("leader").stage is Stage.EVERYONE
    assert ("ola", "leader") in run.offers(d)
    assert fx.SendFeedback("a-1", "desk-1", fx.FeedbackState.ACCEPTED) in d.effects


def test_second_accept_of_a_taken_role_is_refused_and_repeat_accept_is_harmless() -> None:
    o = office(LEADER, GUARD, people=("ola",))
    run = Run(ctx("ola", "per", o=o))
    run.do(press())
    run.do(cmd.ExpireOffer(role_id="guard", offer_no=1), T0 + timedelta(seconds=20))
    run.do(cmd.AcceptRole(person_id="ola", role_id="guard"))
    assert run.do(cmd.AcceptRole(person_id="ola", role_id="guard")).events == ()
    with pytest.raises(InvalidTransition) as err:
        run.do(cmd.AcceptRole(person_id="per", role_id="guard"))
    assert err.value.code in ("taken", "not_offered")


def test_accept_without_an_offer_is_refused() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    with pytest.raises(InvalidTransition) as err:
        run.do(cmd.AcceptRole(person_id="gunn", role_id="leader"))
    assert err.value.code == "not_offered"


def test_pool_first_n_to_accept_take_the_roles_in_order() -> None:
    pool = PoolAssignment("back")
    o = office(
        LEADER,
        role("responder-1", pool),
        role("responder-2", pool),
        pools={"back": ("a", "b", "c", "d")},
    )
    run = Run(ctx("lise", "a", "b", "c", "d", o=o))
    d = run.do(press())
    assert {p for p, r in run.offers(d) if r == "responder-1"} == {"a", "b", "c", "d"}
    assert run.alarm.slot("responder-2").status is SlotStatus.WAITING
    d = run.do(cmd.AcceptRole(person_id="c", role_id="responder-1"), T0 + timedelta(seconds=4))
    assert run.alarm.slot("responder-1").holder_id == "c"
    assert {p for p, r in run.offers(d) if r == "responder-2"} == {"a", "b", "d"}
    # b accepts the role it first saw: it gets the next open pool role, in order
    run.do(cmd.AcceptRole(person_id="b", role_id="responder-1"), T0 + timedelta(seconds=5))
    assert run.alarm.slot("responder-2").holder_id == "b"
    assert run.alarm.slot("responder-2").offered == frozenset()


def test_pool_timeout_sends_all_open_pool_roles_to_everyone() -> None:
    pool = PoolAssignment("back")
    o = office(LEADER, role("r1", pool), role("r2", pool), pools={"back": ("a",)}, people=("ola",))
    run = Run(ctx("lise", "a", "ola", o=o))
    run.do(press())
    d = run.do(cmd.ExpireOffer(role_id="r1", offer_no=1), T0 + timedelta(seconds=20))
    assert run.alarm.slot("r1").stage is Stage.EVERYONE
    assert run.alarm.slot("r2").stage is Stage.EVERYONE
    assert ("ola", "r2") in run.offers(d)


def test_nobody_present_leaves_roles_unfilled_on_the_timeline() -> None:
    run = Run(ctx())
    d = run.do(press())
    assert {e.role_id for e in d.events if isinstance(e, ev.RoleUnfilled)} == {"leader", "guard"}


def test_the_wearer_who_pressed_is_never_offered_a_role() -> None:
    o = office(LEADER, GUARD)
    run = Run(ctx("kari", "lise", o=o))
    d = run.do(press(device="worn-1"))
    assert run.alarm.presser_id == "kari"
    assert all(p != "kari" for p, _ in run.offers(d))
    run.do(cmd.ExpireOffer(role_id="guard", offer_no=1), T0 + timedelta(seconds=20))
    assert "kari" not in run.alarm.slot("guard").offered


def test_steps_are_ticked_once_by_the_holder_only() -> None:
    run = Run(ctx("lise", "gunn"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="gunn", role_id="guard"))
    assert len(run.do(cmd.CompleteStep(person_id="gunn", role_id="guard", step=2)).events) == 1
    assert run.do(cmd.CompleteStep(person_id="gunn", role_id="guard", step=2)).events == ()
    assert run.alarm.slot("guard").steps_done == {2}
    for bad, code in (
        (cmd.CompleteStep(person_id="lise", role_id="guard", step=1), "not_holder"),
        (cmd.CompleteStep(person_id="gunn", role_id="guard", step=4), "bad_step"),
        (cmd.CompleteStep(person_id="gunn", role_id="guard", step=0), "bad_step"),
    ):
        with pytest.raises(InvalidTransition) as err:
            run.do(bad)
        assert err.value.code == code


def test_only_the_leader_role_gives_the_all_clear_and_it_closes_the_alarm() -> None:
    run = Run(ctx("lise", "gunn"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="gunn", role_id="guard"))
    with pytest.raises(InvalidTransition) as err:
        run.do(cmd.GiveAllClear(person_id="gunn"))
    assert err.value.code == "not_leader"
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    d = run.do(cmd.GiveAllClear(person_id="lise", note="calm"), T0 + timedelta(minutes=5))
    assert run.alarm.status is AlarmStatus.RESOLVED
    assert run.alarm.closed_at == T0 + timedelta(minutes=5)
    assert fx.PushClosed("a-1") in d.effects
    assert fx.SendFeedback("a-1", "desk-1", fx.FeedbackState.RESOLVED) in d.effects
    with pytest.raises(InvalidTransition) as err:
        run.do(cmd.AcceptRole(person_id="gunn", role_id="leader"))
    assert err.value.code == "alarm_closed"
    # a deadline that fires after closing changes nothing
    assert run.do(cmd.ExpireOffer(role_id="leader", offer_no=1)).events == ()


def test_cancel_within_the_window_closes_the_alarm_after_it_is_refused() -> None:
    run = Run(ctx("lise"))
    run.do(press())
    d = run.do(cmd.CancelAlarm(device_id="desk-1", seq=2), T0 + timedelta(seconds=10))
    assert run.alarm.status is AlarmStatus.CANCELLED
    assert fx.PushClosed("a-1") in d.effects  # every handset of the office, the leader's too
    late = Run(ctx("lise"))
    late.do(press())
    d = late.do(cmd.CancelAlarm(device_id="desk-1", seq=2), T0 + timedelta(seconds=31))
    assert late.alarm.status is AlarmStatus.OPEN
    assert isinstance(d.events[0], ev.CancelRefused)


def test_a_new_press_on_an_open_alarm_is_a_repeat_that_may_raise_the_level() -> None:
    run = Run(ctx("lise"))
    run.do(press())
    d = run.do(press(seq=2, gesture=Gesture.HOLD), T0 + timedelta(seconds=5))
    assert [type(e).__name__ for e in d.events] == ["PressRepeated", "LevelRaised"]
    assert run.alarm.level is Level.ACUTE
    assert run.do(press(seq=3, gesture=Gesture.SINGLE)).events[1:] == ()


def test_help_and_lockdown_are_on_the_timeline() -> None:
    run = Run(ctx("lise", "gunn"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    d = run.do(cmd.RequestHelp(person_id="gunn", text="alone"))
    assert isinstance(d.events[0], ev.HelpRequested)
    d = run.do(cmd.SetLockdown(person_id="lise", on=True))
    assert fx.PushLockdown("a-1", True) in d.effects and run.alarm.lockdown
    assert run.do(cmd.SetLockdown(person_id="lise", on=True)).events == ()
    with pytest.raises(InvalidTransition):
        run.do(cmd.SetLockdown(person_id="gunn", on=False))


def test_unknown_device_and_commands_before_an_alarm_are_refused() -> None:
    with pytest.raises(InvalidTransition) as err:
        decide(None, press(device="nope"), ctx("lise"), T0)
    assert err.value.code == "unknown_device"
    with pytest.raises(InvalidTransition):
        decide(None, cmd.AcceptRole(person_id="lise", role_id="leader"), ctx("lise"), T0)


def test_replaying_the_timeline_rebuilds_the_same_state() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    run.do(cmd.DeclineRole(person_id="lise", role_id="leader"), T0 + timedelta(seconds=1))
    run.do(cmd.AcceptRole(person_id="per", role_id="leader"), T0 + timedelta(seconds=2))
    run.do(cmd.CompleteStep(person_id="per", role_id="leader", step=1), T0 + timedelta(seconds=3))
    assert fold(run.log) == run.state


def test_every_table_entry_is_exercised_by_a_known_state() -> None:
    statuses = {status for status, _ in TABLE}
    assert statuses == {None, AlarmStatus.OPEN, AlarmStatus.RESOLVED, AlarmStatus.CANCELLED}
    assert {c for s, c in TABLE if s is AlarmStatus.OPEN} == {
        cmd.RaiseAlarm,
        cmd.RecordRepeats,
        cmd.CancelAlarm,
        cmd.AcceptRole,
        cmd.DeclineRole,
        cmd.ExpireOffer,
        cmd.CompleteStep,
        cmd.RequestHelp,
        cmd.GiveAllClear,
        cmd.SetLockdown,
        cmd.JoinAlarm,
        cmd.RemindLeader,
        cmd.RecordDelivery,
        cmd.MarkArrived,
        cmd.MarkPoliceContacted,
        cmd.ConfirmOffer,
        cmd.MissOffer,
    }


def test_someone_arriving_is_offered_roles_nobody_was_left_to_take() -> None:
    run = Run(ctx())
    run.do(press())
    assert run.alarm.slot("leader").status is SlotStatus.UNFILLED
    run.ctx = ctx("lise")
    d = run.do(cmd.JoinAlarm(person_id="lise"), T0 + timedelta(seconds=3))
    assert ("lise", "leader") in run.offers(d) and ("lise", "guard") in run.offers(d)
    assert run.alarm.slot("leader").due_at == T0 + timedelta(seconds=23)


def test_the_holder_coming_back_joins_the_deputys_stage_but_a_deputy_never_jumps_the_queue() -> (
    None
):
    run = Run(ctx("per", "gunn"))
    run.do(press())  # lise absent: the leader role went to per, the deputy
    run.ctx = ctx("per", "gunn", "lise")
    d = run.do(cmd.JoinAlarm(person_id="lise"), T0 + timedelta(seconds=2))
    assert ("lise", "leader") in run.offers(d)
    assert run.alarm.slot("leader").offer_no == 1  # same stage, same deadline
    early = Run(ctx("lise", "gunn"))
    early.do(press())
    early.ctx = ctx("lise", "gunn", "per")
    d = early.do(cmd.JoinAlarm(person_id="per"))
    assert ("per", "leader") not in early.offers(d) and ("per", "guard") not in early.offers(d)


def test_a_press_whose_device_time_is_far_off_is_flagged_but_still_raises_the_alarm() -> None:
    run = Run(ctx("lise"))
    stale = cmd.RaiseAlarm(
        alarm_id="a-1", device_id="desk-1", seq=1, device_ts=T0 - timedelta(hours=2)
    )
    d = run.do(stale)
    flagged = [e for e in d.events if isinstance(e, ev.PossibleReplay)]
    assert flagged and flagged[0].skew_s == 7200.0
    assert run.alarm.status is AlarmStatus.OPEN and run.offers(d)
    fresh = Run(ctx("lise"))
    ok = cmd.RaiseAlarm(
        alarm_id="a-1", device_id="desk-1", seq=1, device_ts=T0 - timedelta(seconds=2)
    )
    assert not [e for e in fresh.do(ok).events if isinstance(e, ev.PossibleReplay)]


def test_someone_arriving_after_a_role_went_to_outside_help_is_offered_it_afresh() -> None:
    """An offered role escalated to outside help has no running stage to join (no deadline):
    the 500-office soak raised an AssertionError here when a leader's handset came back."""
    run = Run(ctx("per", "gunn"))  # lise absent: the leader role is offered to per
    run.do(press())
    at = T0 + timedelta(seconds=40)
    alerted = ev.ExternalAlerted(at=at, actor=ev.SYSTEM, role_id="leader", contact_ids=("police",))
    run.state = evolve(run.state, alerted)
    assert run.alarm.slot("leader").status is SlotStatus.OFFERED
    assert run.alarm.slot("leader").due_at is None
    run.ctx = ctx("per", "gunn", "lise")
    d = run.do(cmd.JoinAlarm(person_id="lise"), at + timedelta(seconds=1))
    assert ("lise", "leader") in run.offers(d)
    assert run.alarm.slot("leader").due_at is not None  # her offer has its own deadline
