"""The person who pressed, and the people who come (issue 15): who pressed a fixed button (a
check-in, a checked-out worn trigger, the roster), "help is coming" only when someone who goes to
her accepts, arrival as its own event, briefed-only offers, lone reception. Pure core."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from app.core import commands as cmd
from app.core import debrief as db
from app.core import effects as fx
from app.core import events as ev
from app.core.assignment import DispatchContext
from app.core.facts import OfficeFacts, Reception, Rostered, Schedule, Site
from app.core.office import (
    AssembleAssignment,
    Contact,
    Location,
    NamedAssignment,
    Office,
    Person,
    Role,
    Stance,
    Step,
    Trigger,
    TriggerKind,
)
from app.core.supervision import DeviceHealth, coverage
from app.core.whereabouts import Carry, CheckIn, PresserSource, Whereabouts, find_presser
from tests.unit.office_fixtures import T0, office, role
from tests.unit.test_core_transitions import Run, press

LEADER = role("leader", NamedAssignment("lise", ("per",)), leader=True)
POLICE = replace(
    role("police", NamedAssignment("ola", ("per",)), stance=Stance.EXTERNAL_CONTACT),
    contact=Contact.POLICE,
)
AT_DESK = Whereabouts(check_ins=(CheckIn("lise", "reception", T0 - timedelta(hours=1)),))


def ctx(o: Office, *present: str, **extra: object) -> DispatchContext:
    return DispatchContext(office=o, present=frozenset(present), local=T0, **extra)  # type: ignore[arg-type]


def feedback(decision: object) -> list[str]:
    return [e.state.value for e in decision.effects if isinstance(e, fx.SendFeedback)]  # type: ignore[attr-defined]


def test_whoever_checked_in_at_the_desk_pressed_its_button_and_is_never_offered_a_role() -> None:
    run = Run(ctx(office(LEADER), "lise", "per", whereabouts=AT_DESK))
    d = run.do(press())
    raised = next(e for e in d.events if isinstance(e, ev.AlarmRaised))
    assert (raised.presser_id, raised.presser_via) == ("lise", "checked_in")
    assert run.offers(d) == {("per", "leader")}  # her deputy at once, not after a deadline
    assert fx.PushPresser("a-1", "lise", fx.FeedbackState.RECEIVED) in d.effects
    assert not any(isinstance(e, fx.PushNotice) and "lise" in e.person_ids for e in d.effects)


def test_without_a_check_in_the_roster_names_the_presser_and_otherwise_she_is_unknown() -> None:
    o = office(LEADER)
    desk = replace(o.locations["reception"], roster=(Rostered("kari", Schedule(always=True)),))
    rostered = replace(o, locations={"reception": desk})
    found = find_presser(rostered, rostered.triggers["desk-1"], Whereabouts(), T0)
    assert (found.person_id, found.via) == ("kari", PresserSource.ROSTER)
    unknown = find_presser(o, o.triggers["desk-1"], Whereabouts(), T0)
    assert (unknown.person_id, unknown.via) == (None, None)
    # a check-in beats the roster
    found = find_presser(rostered, rostered.triggers["desk-1"], AT_DESK, T0)
    assert (found.person_id, found.via) == ("lise", PresserSource.CHECKED_IN)


def test_a_pendant_checked_out_to_a_person_for_a_room_reports_that_person_and_room() -> None:
    o = office(LEADER)
    o = replace(o, locations={**o.locations, "room-2": Location("room-2", "Rom 2", "conversation")})
    where = Whereabouts(carried=(Carry("worn-1", "per", "room-2", T0),))
    run = Run(ctx(o, "lise", "per", whereabouts=where))
    d = run.do(press("worn-1"))
    raised = next(e for e in d.events if isinstance(e, ev.AlarmRaised))
    assert (raised.presser_id, raised.location_id, raised.presser_via) == (
        "per",
        "room-2",
        "carried",
    )
    assert ("per", "leader") not in run.offers(d)


def test_help_is_coming_only_when_someone_who_goes_to_the_presser_accepts_then_arrives() -> None:
    run = Run(ctx(office(LEADER, POLICE), "lise", "per", "ola", whereabouts=AT_DESK))
    run.do(press())  # lise pressed: per is asked for leader, ola for police
    d = run.do(cmd.AcceptRole(person_id="ola", role_id="police"))
    assert feedback(d) == []  # a police caller is not help coming to her
    d = run.do(cmd.AcceptRole(person_id="per", role_id="leader"))
    assert feedback(d) == ["accepted"]
    assert fx.PushPresser("a-1", "lise", fx.FeedbackState.ACCEPTED) in d.effects
    later = T0 + timedelta(seconds=40)
    d = run.do(cmd.MarkArrived(person_id="per"), later)
    assert feedback(d) == ["arrived"] and run.alarm.arrived == ("per",)
    assert run.do(cmd.MarkArrived(person_id="per"), later).events == ()  # once per person
    summary = db.summary(run.log)
    assert summary.press_to_arrival_s == 40.0 and summary.presser_id == "lise"


def test_the_cards_arrival_step_counts_as_arriving() -> None:
    leader = replace(LEADER, arrival_step=1)
    run = Run(ctx(office(leader), "lise"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    d = run.do(cmd.CompleteStep(person_id="lise", role_id="leader", step=1))
    arrived = [e for e in d.events if isinstance(e, ev.ArrivalMarked)]
    assert [(a.person_id, a.via) for a in arrived] == [("lise", "step")]


def test_someone_told_to_assemble_who_marks_arrival_ran_in_and_late_arrival_is_a_deviation() -> (
    None
):
    assemble = Role(
        id="assemble",
        title="Samles",
        stance=Stance.ASSEMBLE_AT,
        steps=(Step(1, "Gå til bakland."),),
        accept_within_s=30,
        assignment=AssembleAssignment(),
        required=False,
    )
    run = Run(ctx(office(LEADER, assemble, people=("ola",)), "lise", "ola"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    run.do(cmd.MarkArrived(person_id="ola"), T0 + timedelta(seconds=10))
    run.do(cmd.MarkArrived(person_id="lise"), T0 + timedelta(seconds=150))
    found = db.deviations(run.log, ["leader"], ["assemble"], arrive_within_s=120)
    kinds = [(d.kind, d.person_ids) for d in found]
    assert (db.DeviationKind.RAN_IN, ("ola",)) in kinds
    late = next(d for d in found if d.kind is db.DeviationKind.NO_ARRIVAL)
    assert late.late_by_s == 30.0


def test_police_ticked_as_contacted_stops_the_reminder_and_says_who() -> None:
    run = Run(ctx(office(LEADER, POLICE), "lise", "per"))
    run.do(press())
    run.do(cmd.MarkPoliceContacted(person_id="lise"), T0 + timedelta(seconds=5))
    assert run.do(cmd.RemindLeader(role_id="police")).events == ()
    summary = db.summary(run.log)
    assert summary.police_contacted_by == "lise"
    assert summary.police_contacted_at == T0 + timedelta(seconds=5)


def test_staff_who_have_not_acknowledged_the_card_are_not_offered_a_role_but_assemble() -> None:
    assemble = Role(
        id="assemble",
        title="Samles",
        stance=Stance.ASSEMBLE_AT,
        steps=(Step(1, "Gå til bakland."),),
        accept_within_s=30,
        assignment=AssembleAssignment(),
        required=False,
    )
    o = office(LEADER, assemble, people=("ola",))
    run = Run(ctx(o, "lise", "per", "ola", acknowledged=frozenset({"per"})))
    d = run.do(press())
    assert run.offers(d) == {("per", "leader")}  # lise skipped: she has not read this version
    told = [e for e in d.events if isinstance(e, ev.AssemblyCalled)]
    assert told and set(told[0].person_ids) == {"lise", "ola"}
    anyone = replace(o, rolecard=replace(o.rolecard, briefed_only=False))
    run = Run(ctx(anyone, "lise", "per", acknowledged=frozenset({"per"})))
    assert ("lise", "leader") in run.offers(run.do(press()))


def test_only_receiver_holders_respond_when_the_card_says_so() -> None:
    o = office(role("guard", NamedAssignment("gro")), people=("ola",))
    everyone = Run(ctx(o, "ola"))
    assert everyone.offers(everyone.do(press())) == {("ola", "guard")}
    only = replace(o, rolecard=replace(o.rolecard, receivers_only=True))
    run = Run(ctx(only, "ola"))
    d = run.do(press())
    assert run.offers(d) == set()  # Case 6: no escalation to everyone present
    assert any(isinstance(e, ev.RoleUnfilled) for e in d.events)


def _lone_office(worn_holder: str | None) -> Office:
    people = {p: Person(p, p.title()) for p in ("kari", "lise")}
    triggers = {"desk-1": Trigger("desk-1", TriggerKind.FIXED, "reception")}
    if worn_holder:
        triggers["worn-1"] = Trigger("worn-1", TriggerKind.WORN, "reception", holder_id="nobody")
    facts = OfficeFacts(
        reception=Reception(staffed_alone=Schedule(always=True)),
        sites=(Site("sat", "Satellitt", never_alone=True),),
    )
    base = office(LEADER)
    return replace(
        base,
        people=people,
        triggers=triggers,
        facts=facts,
        locations={
            "reception": Location("reception", "Mottak", "public"),
            "sat-desk": Location("sat-desk", "Pult", "public", site="sat"),
        },
    )


def _reasons(o: Office, present: set[str], where: Whereabouts) -> tuple[str, ...]:
    health = {d: DeviceHealth(d, last_seen=T0, online=True) for d in o.triggers}
    return coverage(o, health, frozenset(present), T0, T0, where).reasons


def test_lone_reception_is_degraded_unless_the_person_at_the_desk_carries_a_worn_trigger() -> None:
    o = _lone_office(worn_holder="x")
    kari = CheckIn("kari", "reception", T0)
    no_trigger = _reasons(o, {"kari", "lise"}, Whereabouts(check_ins=(kari,)))
    assert no_trigger == ("reception is staffed alone and Kari carries no worn trigger",)
    carrying = Whereabouts(check_ins=(kari,), carried=(Carry("worn-1", "kari", None, T0),))
    assert _reasons(o, {"kari", "lise"}, carrying) == ()
    alone = _reasons(o, {"kari"}, carrying)
    assert "reception is staffed alone and no responder is present" in alone


def test_a_never_alone_site_warns_when_one_person_is_checked_in_there() -> None:
    o = replace(
        _lone_office(worn_holder=None), facts=OfficeFacts(sites=(Site("sat", "Satellitt", True),))
    )
    one = Whereabouts(check_ins=(CheckIn("kari", "sat-desk", T0),))
    assert _reasons(o, {"kari", "lise"}, one) == (
        "Satellitt is never to be staffed alone, and one person is there",
    )
    two = Whereabouts(check_ins=(*one.check_ins, CheckIn("lise", "sat-desk", T0)))
    assert _reasons(o, {"kari", "lise"}, two) == ()


def test_time_to_location_is_in_the_statistics_per_office_never_per_person() -> None:
    from app.core.learning.figures import figures
    from app.core.learning.statistics import office_statistics

    run = Run(ctx(office(LEADER), "lise", "per", whereabouts=AT_DESK))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="per", role_id="leader"))
    run.do(cmd.MarkArrived(person_id="per"), T0 + timedelta(seconds=40))
    fig = figures("a-1", run.log, ["leader"])
    assert fig is not None and fig.first_arrival_s == 40.0
    stats = office_statistics([fig], [], T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert stats.real.first_arrival.count == 1 and stats.real.first_arrival.median_s == 40.0


def test_people_per_alarm_counts_required_roles_and_optional_ones_apart() -> None:
    from app.core.briefing import people_per_alarm

    optional = replace(role("bystanders", NamedAssignment("ola")), required=False)
    o = office(LEADER, role("guard", NamedAssignment("gro")), optional)
    count = people_per_alarm(o)
    assert (count.required, count.with_optional) == (2, 3)
