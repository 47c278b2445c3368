"""The role-card language at dispatch: every assignment mode, acting leaders, escalation past
the office, and the police-contact reminder (pure core, injected time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import SlotStatus, Stage
from app.core.assignment import DispatchContext
from app.core.facts import Agency, Delegation, GuardService, OfficeFacts, Police, Schedule
from app.core.office import (
    AllRespondAssignment,
    AssembleAssignment,
    AssessorAssignment,
    Contact,
    FirstToClaimAssignment,
    Gesture,
    GuardAssignment,
    NamedAssignment,
    Office,
    PoolAssignment,
    Stance,
)
from tests.unit.office_fixtures import T0, office, role
from tests.unit.test_core_transitions import Run, press

LEADER = role(
    "leader", NamedAssignment("lise", ("per",)), leader=True, stance=Stance.EXTERNAL_CONTACT
)
TODAY = date(2026, 11, 26)


def ctx(o: Office, *present: str, **extra: object) -> DispatchContext:
    return DispatchContext(office=o, present=frozenset(present), today=TODAY, **extra)  # type: ignore[arg-type]


def offered(run: Run, decision: object) -> set[tuple[str, str]]:
    return run.offers(decision)  # type: ignore[arg-type]


def test_first_to_claim_roles_are_taken_in_card_order() -> None:
    claim = FirstToClaimAssignment()
    o = office(LEADER, role("assessor", claim), role("police", claim), people=("a", "b", "c"))
    run = Run(ctx(o, "lise", "a", "b", "c"))
    d = run.do(press())
    assert {p for p, r in offered(run, d) if r == "assessor"} == {"a", "b", "c", "lise"}
    assert run.alarm.slot("police").status is SlotStatus.WAITING
    run.do(cmd.AcceptRole(person_id="b", role_id="assessor"))
    d = run.do(cmd.AcceptRole(person_id="c", role_id="assessor"))
    assert run.alarm.slot("assessor").holder_id == "b"
    assert run.alarm.slot("police").holder_id == "c"  # the second to claim took the next role


def test_all_respond_counts_every_acceptance() -> None:
    o = office(LEADER, role("everyone-out", AllRespondAssignment()), people=("a", "b"))
    run = Run(ctx(o, "lise", "a", "b"))
    d = run.do(press())
    assert {p for p, r in offered(run, d) if r == "everyone-out"} == {"lise", "a", "b"}
    run.do(cmd.AcceptRole(person_id="a", role_id="everyone-out"))
    run.do(cmd.AcceptRole(person_id="b", role_id="everyone-out"))
    slot = run.alarm.slot("everyone-out")
    assert slot.responders == {"a", "b"} and slot.status is SlotStatus.ACCEPTED
    run.do(cmd.CompleteStep(person_id="b", role_id="everyone-out", step=1))
    assert run.alarm.slot("everyone-out").steps_done == {1}


def test_one_assessor_while_everyone_else_assembles() -> None:
    o = office(
        LEADER,
        role("assessor", AssessorAssignment("gro", ("per",)), stance=Stance.ASSESS_FROM_DOOR),
        role("assembly", AssembleAssignment(), stance=Stance.ASSEMBLE_AT, within=60),
        people=("a", "b", "gro"),
    )
    run = Run(ctx(o, "lise", "per", "gro", "a", "b"))
    d = run.do(press())
    assert ("gro", "assessor") in offered(run, d)
    assembled = [e for e in d.events if isinstance(e, ev.AssemblyCalled)]
    # everyone present with nothing to take assembles: per (only a deputy today), a and b
    assert assembled and set(assembled[0].person_ids) == {"a", "b", "per"}
    assert fx.PushAssembly("a-1", "assembly", ("a", "b", "per")) in d.effects
    assert run.alarm.slot("assembly").status is SlotStatus.INFORMED


def test_the_guard_on_duty_holds_the_guard_role_and_deputies_cover_when_off_duty() -> None:
    facts = OfficeFacts(guard=GuardService("Vekter AS", Schedule(always=True), people=("vera",)))
    guard_role = role("guard", GuardAssignment(("per",)))
    o = replace(office(LEADER, guard_role, people=("vera",)), facts=facts)
    on = Run(ctx(o, "lise", "per", "vera", guard_on_duty=True))
    assert ("vera", "guard") in offered(on, on.do(press()))
    off = Run(ctx(o, "lise", "per", "vera", guard_on_duty=False))
    d = off.do(press())
    assert ("per", "guard") in offered(off, d) and ("vera", "guard") not in offered(off, d)


def test_the_acting_leader_gets_the_leaders_offer_and_the_timeline_says_acting_for() -> None:
    away = (Delegation("lise", "kjell", TODAY - timedelta(days=3), TODAY + timedelta(days=10)),)
    o = replace(office(LEADER, people=("kjell",)), delegations=away)
    run = Run(ctx(o, "lise", "kjell", "per"))
    d = run.do(press())
    offer = next(e for e in d.events if isinstance(e, ev.RoleOffered) and e.role_id == "leader")
    assert offer.person_ids == ("kjell",) and offer.acting_for == "lise"
    d = run.do(cmd.AcceptRole(person_id="kjell", role_id="leader"))
    accepted = next(e for e in d.events if isinstance(e, ev.RoleAccepted))
    assert accepted.acting_for == "lise"


def test_a_required_role_nobody_takes_goes_to_the_leader_then_outside() -> None:
    facts = OfficeFacts(
        agencies=(Agency("bv", "Barnevernet", "Vakt", "+47 1"),),
        guard=GuardService("Vekter AS", Schedule(always=True), phone="+47 2"),
    )
    guard_role = role("assessor", NamedAssignment("gro"), within=10)
    o = replace(office(LEADER, guard_role), facts=facts)
    run = Run(ctx(o, "lise"))
    run.do(press())  # gro is absent: the assessor role goes to everyone present (lise)
    d = run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    # lise took the leader role, so nobody is left for the assessor: the leader is told
    alerted = [e for e in d.events if isinstance(e, ev.LeaderAlerted)]
    assert alerted and alerted[0].role_id == "assessor"
    assert run.alarm.slot("assessor").stage is Stage.LEADER
    d = run.do(
        cmd.ExpireOffer(role_id="assessor", offer_no=alerted[0].offer_no),
        T0 + timedelta(seconds=10),
    )
    external = [e for e in d.events if isinstance(e, ev.ExternalAlerted)]
    assert external[0].contact_ids == ("agency:bv", "guard_company")
    assert fx.NotifyExternal("a-1", "assessor", ("agency:bv", "guard_company")) in d.effects
    d = run.do(
        cmd.RecordDelivery(role_id="assessor", delivered=("agency:bv",), failed=("guard_company",))
    )
    assert isinstance(d.events[0], ev.ExternalDeliveryReported)


def test_the_leader_is_reminded_when_police_contact_ticks_nothing() -> None:
    police = replace(
        role("police", NamedAssignment("per"), stance=Stance.EXTERNAL_CONTACT),
        contact=Contact.POLICE,
    )
    o = replace(office(LEADER, police), facts=OfficeFacts(police=Police(eta_min=120)))
    run = Run(ctx(o, "lise", "per"))
    d = run.do(press())
    assert fx.ArmReminder("a-1", "police", T0 + timedelta(seconds=40)) in d.effects
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    d = run.do(cmd.RemindLeader(role_id="police"), T0 + timedelta(seconds=40))
    assert fx.PushReminder("a-1", "police", ("lise",), fx.ReminderKind.POLICE) in d.effects
    assert run.do(cmd.RemindLeader(role_id="police")).events == ()  # once
    ticked = Run(ctx(o, "lise", "per"))
    ticked.do(press())
    ticked.do(cmd.AcceptRole(person_id="per", role_id="police"))
    ticked.do(cmd.CompleteStep(person_id="per", role_id="police", step=1))
    assert ticked.do(cmd.RemindLeader(role_id="police")).events == ()


def test_only_staff_who_acknowledged_the_card_count_in_a_pool() -> None:
    pool = PoolAssignment("back")
    o = office(LEADER, role("r1", pool), pools={"back": ("a", "b")})
    run = Run(ctx(o, "lise", "a", "b", acknowledged=frozenset({"b", "lise"})))
    d = run.do(press())
    assert {p for p, r in offered(run, d) if r == "r1"} == {"b"}


def test_an_alarm_is_shown_to_the_offices_it_is_shared_with() -> None:
    from app.core.facts import Share

    o = replace(office(LEADER), facts=OfficeFacts(sharing=(Share("barnevernet"),)))
    run = Run(ctx(o, "lise"))
    d = run.do(press())
    shared = [e for e in d.events if isinstance(e, ev.AlarmShared)]
    assert shared and shared[0].office_ids == ("barnevernet",)
    assert fx.PushShared("a-1", ("barnevernet",)) in d.effects


def test_someone_arriving_after_the_leader_was_told_does_not_postpone_the_outside_alert() -> None:
    facts = OfficeFacts(guard=GuardService("Vekter AS", Schedule(always=True)))
    o = replace(office(LEADER, role("assessor", NamedAssignment("gro"), within=10)), facts=facts)
    run = Run(ctx(o, "lise"))
    run.do(press())
    d = run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    alerted = next(e for e in d.events if isinstance(e, ev.LeaderAlerted))
    run.ctx = ctx(o, "lise", "ola")
    d = run.do(cmd.JoinAlarm(person_id="ola"), T0 + timedelta(seconds=5))
    assert ("ola", "assessor") in offered(run, d)
    assert run.alarm.slot("assessor").due_at == alerted.due_at  # the same deadline runs on
    d = run.do(cmd.ExpireOffer(role_id="assessor", offer_no=alerted.offer_no), alerted.due_at)
    assert any(isinstance(e, ev.ExternalAlerted) for e in d.events)
    assert "ola" in run.alarm.slot("assessor").offered  # a late accept still counts


def test_an_offer_role_share_offers_the_role_to_the_other_offices_present_staff() -> None:
    from app.core.facts import Share

    liaison = role("liaison", NamedAssignment("per"), stance=Stance.EXTERNAL_CONTACT)
    base = office(LEADER, liaison)
    people = {**base.people, "bv:anna": replace(base.people["per"], id="bv:anna", name="Anna (BV)")}
    o = replace(
        base,
        people=people,
        facts=OfficeFacts(sharing=(Share("bv", "offer_role", "liaison"),)),
    )
    run = Run(ctx(o, "lise", "per", "bv:anna"))
    d = run.do(press())
    assert {("per", "liaison"), ("bv:anna", "liaison")} <= offered(run, d)
    assert ("bv:anna", "leader") not in offered(run, d)  # only the shared role
    run.do(cmd.AcceptRole(person_id="bv:anna", role_id="liaison"))
    assert run.alarm.slot("liaison").holder_id == "bv:anna"
    late = Run(ctx(o, "lise"))
    late.do(press())
    late.ctx = ctx(o, "lise", "bv:anna")
    d = late.do(cmd.JoinAlarm(person_id="bv:anna"))
    assert offered(late, d) == {("bv:anna", "liaison")}


def test_a_raised_level_brings_the_fuller_card_without_taking_back_what_is_under_way() -> None:
    claim = FirstToClaimAssignment()
    come_by = office(LEADER, role("buddy", claim), people=("a", "b"))
    full = replace(
        come_by.rolecard,
        roles=(*come_by.rolecard.roles, role("police", claim), role("foyer", claim)),
        variant_id="full",
    )
    run = Run(ctx(come_by, "lise", "a", "b"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="a", role_id="buddy"))
    run.ctx = ctx(replace(come_by, rolecard=full), "lise", "a", "b")
    d = run.do(press(seq=2, gesture=Gesture.HOLD), T0 + timedelta(seconds=20))
    extended = [e for e in d.events if isinstance(e, ev.CardExtended)]
    assert extended and extended[0].role_ids == ("leader", "buddy", "police", "foyer")
    assert run.alarm.slot("buddy").holder_id == "a"  # the buddy keeps the role
    assert {p for p, r in offered(run, d) if r == "police"} == {"b", "lise"}
    assert run.alarm.slot("foyer").status is SlotStatus.WAITING  # taken in card order
