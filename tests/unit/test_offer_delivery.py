"""Whether an offer reached a phone, in the pure core: a confirmation is recorded; an offer no
phone confirmed moves the role on as a decline would, and a late accept still counts."""

from __future__ import annotations

from datetime import timedelta

from app.core import commands as cmd
from app.core import events as ev
from app.core.alarm import Stage, fold
from tests.unit.office_fixtures import T0
from tests.unit.test_core_transitions import Run, ctx, press

LATER = T0 + timedelta(seconds=5)


def test_a_confirmation_is_on_the_timeline_and_changes_nothing_else() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    before = run.alarm
    d = run.do(cmd.ConfirmOffer(person_id="lise", role_id="leader", channel="push"), LATER)
    assert d.events == (
        ev.OfferReached(
            at=LATER, actor=ev.SYSTEM, role_id="leader", person_id="lise", channel="push"
        ),
    )
    assert run.alarm == before


def test_a_confirmation_from_someone_never_asked_records_nothing() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    d = run.do(cmd.ConfirmOffer(person_id="gunn", role_id="leader", channel="socket"), LATER)
    assert d.events == ()


def test_an_unconfirmed_offer_moves_on_to_the_deputy_before_its_deadline() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    d = run.do(cmd.MissOffer(person_id="lise", role_id="leader"), LATER)
    missed = [e for e in d.events if isinstance(e, ev.OfferNotDelivered)]
    assert missed and missed[0].person_id == "lise" and "no confirmation" in missed[0].reason
    assert ("per", "leader") in run.offers(d)
    assert run.alarm.slot("leader").stage is Stage.DEPUTY
    # her offer stays open: when her phone comes back, her accept still counts
    assert "lise" in run.alarm.slot("leader").offered
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"), LATER + timedelta(seconds=1))
    assert run.alarm.slot("leader").holder_id == "lise"
    assert fold(run.log) == run.state


def test_a_miss_after_the_person_answered_changes_nothing() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    run.do(cmd.AcceptRole(person_id="lise", role_id="leader"))
    assert run.do(cmd.MissOffer(person_id="lise", role_id="leader"), LATER).events == ()


def test_an_answer_from_the_notification_says_so_on_the_timeline() -> None:
    run = Run(ctx("lise", "per", "gunn"))
    run.do(press())
    d = run.do(cmd.AcceptRole(person_id="gunn", role_id="guard", via="push"), LATER)
    accepted = [e for e in d.events if isinstance(e, ev.RoleAccepted)]
    assert accepted[0].via == "push"
    d = run.do(cmd.DeclineRole(person_id="lise", role_id="leader", via="push"), LATER)
    assert next(e for e in d.events if isinstance(e, ev.RoleDeclined)).via == "push"
