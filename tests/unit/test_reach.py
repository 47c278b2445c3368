"""Reachability per handset: connected, reachable by push, or unreachable; it decides presence
when the page is closed, and coverage names a leader whose phone stopped confirming pushes."""

from __future__ import annotations

from datetime import timedelta

from app.core.office import NamedAssignment
from app.service.delivery import OfferTracker
from app.service.presence import Presence
from app.service.reach import Reach, Reachability
from tests.fakes.clock import ManualClock, settle
from tests.unit.office_fixtures import T0, office, role

LEADER = role("leader", NamedAssignment("lise", ("per",)), leader=True)
FRESH = timedelta(minutes=10)


def world() -> tuple[Reachability, Presence, ManualClock, list[tuple[str, str]]]:
    clock = ManualClock(T0)
    presence = Presence()
    arrivals: list[tuple[str, str]] = []
    reach = Reachability(presence, clock, FRESH, lambda o, p: arrivals.append((o, p)))
    reach.start()
    return reach, presence, clock, arrivals


async def test_a_phone_that_confirms_pushes_is_present_with_its_page_closed() -> None:
    reach, presence, clock, arrivals = world()
    reach.subscribed("o1", "hs-lise", "lise", True)
    assert reach.state("o1", "hs-lise") is Reach.UNREACHABLE  # subscribed, nothing confirmed
    assert not presence.is_present("o1", "lise")
    reach.receipt("o1", "hs-lise", clock.now())
    assert reach.state("o1", "hs-lise") is Reach.PUSH
    assert presence.is_present("o1", "lise") and arrivals == [("o1", "lise")]
    # ten minutes without a confirmation: no longer counted
    await clock.run_until(T0 + FRESH + timedelta(minutes=1))
    assert reach.state("o1", "hs-lise") is Reach.UNREACHABLE
    assert not presence.is_present("o1", "lise")


async def test_a_socket_that_missed_a_ping_is_no_longer_trusted_as_connected() -> None:
    reach, _presence, clock, _ = world()
    reach.socket_up("o1", "hs-per", "per")
    assert reach.state("o1", "hs-per") is Reach.CONNECTED
    reach.socket_stale("o1", "hs-per", True)
    assert reach.state("o1", "hs-per") is Reach.UNREACHABLE
    reach.subscribed("o1", "hs-per", "per", True, clock.now())
    assert reach.state("o1", "hs-per") is Reach.PUSH  # its offers now count on the push


async def test_off_duty_withdraws_the_push_presence_too() -> None:
    reach, presence, clock, _ = world()
    reach.socket_up("o1", "hs-lise", "lise")
    reach.subscribed("o1", "hs-lise", "lise", True, clock.now())
    reach.set_duty("o1", "hs-lise", False)
    reach.socket_down("o1", "hs-lise")
    assert not presence.is_present("o1", "lise")


async def test_coverage_names_the_leader_whose_phone_stopped_confirming_pushes() -> None:
    reach, _presence, clock, _ = world()
    o = office(LEADER)
    assert reach.problems(o) == []
    reach.subscribed("o1", "hs-lise", "lise", True, clock.now())
    assert reach.problems(o) == []
    await clock.run_until(T0 + timedelta(minutes=12))
    [problem] = reach.problems(o)
    assert problem.code == "leader_phone_unconfirmed"
    assert dict(problem.params) == {"name": "Lise", "minutes": 12}
    assert problem.text == "the leader's phone (Lise) has not confirmed a push for 12 min"
    reach.socket_up("o1", "hs-lise", "lise")  # the app is open again: reachable
    assert reach.problems(o) == []


async def test_an_offer_nobody_confirms_is_reported_once_and_a_late_receipt_still_counts() -> None:
    clock = ManualClock(T0)
    tracker = OfferTracker(clock, timedelta(seconds=5))
    seen: list[tuple[str, ...]] = []

    async def reached(*args: str) -> None:
        seen.append(("reached", *args))

    async def missed(*args: str) -> None:
        seen.append(("missed", *args))

    tracker.on_reached, tracker.on_missed = reached, missed
    tracker.expect("o1", "a-1", "leader", "lise")
    tracker.expect("o1", "a-1", "guard", "gro")
    tracker.confirmed("o1", "a-1", "guard", "gro", "socket")
    tracker.confirmed("o1", "a-1", "guard", "gro", "push")  # the second channel: once is enough
    await clock.run_until(T0 + timedelta(seconds=6))
    await settle()
    assert seen == [
        ("reached", "o1", "a-1", "guard", "gro", "socket"),
        ("missed", "o1", "a-1", "leader", "lise"),
    ]
    tracker.confirmed("o1", "a-1", "leader", "lise", "push")
    await settle()
    assert seen[-1] == ("reached", "o1", "a-1", "leader", "lise", "push")
