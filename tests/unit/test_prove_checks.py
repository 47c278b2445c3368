"""The proof run's invariants catch what they name: each check fails on a run that breaks it."""

from __future__ import annotations

from typing import Any

from simulator.prove.checks import (
    AlarmRecord,
    alarms_closed,
    chains_verify,
    deadlines_once,
    every_press_once,
    offers_reached,
    offices_kept_apart,
)
from simulator.prove.clients import HandsetLog, Press, Received

T0 = 1_000_000.0


def press(seq: int, device: str = "o1-desk-1", acked: bool = True, at: float = T0) -> Press:
    return Press(device, "o1", seq, b"{}", at, at + 0.01 if acked else None)


def event(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "at": "2026-12-07T00:00:00+00:00", "data": data}


def alarm(alarm_id: str, *events: dict[str, Any], office: str = "o1", status: str = "resolved"):
    return AlarmRecord(alarm_id, office, status, list(events))


def repeated(seq: int, **more: Any) -> dict[str, Any]:
    return event("PressRepeated", device_id="o1-desk-1", seq=seq, **more)


def raised(seq: int, device: str = "o1-desk-1") -> dict[str, Any]:
    return event("PressReceived", device_id=device, seq=seq)


def offered(role: str, *people: str) -> dict[str, Any]:
    return event("RoleOffered", role_id=role, person_ids=list(people))


def handset(person: str, office: str = "o1", intervals: list[list[float]] | None = None):
    log = HandsetLog(f"t-{person}", office, leader=False, person_id=person)
    log.intervals = intervals if intervals is not None else [[T0 - 10, float("inf")]]
    return log


def test_a_lost_and_a_doubled_press_are_named() -> None:
    presses = [press(1), press(2), press(3)]
    alarms = [
        alarm("a1", raised(1)),
        alarm("a2", raised(3), repeated(3)),
    ]
    verdict = every_press_once(presses, alarms, lambda t: "near nothing")
    assert not verdict.held
    assert any("seq 2: lost" in v for v in verdict.violations)
    assert any("seq 3: recorded 2 times" in v for v in verdict.violations)


def test_a_press_the_broker_never_acknowledged_and_a_replay_are_not_counted() -> None:
    replayed = press(1)
    replayed.replay = True
    presses = [press(1), replayed, press(2, acked=False)]
    verdict = every_press_once(presses, [alarm("a1", raised(1))], str)
    assert verdict.held and verdict.checked == 1


def test_a_coalesced_repeat_counts_each_press_it_stands_for() -> None:
    alarms = [alarm("a1", raised(1), repeated(3, seqs=[2, 3]))]
    assert every_press_once([press(1), press(2), press(3)], alarms, str).held


def test_an_offer_missing_on_a_handset_connected_throughout_is_a_violation() -> None:
    lise = handset("lise")
    alarms = [alarm("a1", raised(1), offered("leader", "lise"))]
    verdict = offers_reached(alarms, [lise], [press(1)], end=T0 + 60)
    assert [*verdict.violations] == ["a1 leader → lise: not received"]
    lise.received.append(Received("a1", "o1", "leader", T0 + 0.1))
    assert offers_reached(alarms, [lise], [press(1)], end=T0 + 60).held


def test_a_handset_that_was_away_during_the_alarm_is_not_blamed() -> None:
    away = handset("lise", intervals=[[T0 - 10, T0 + 1], [T0 + 5, float("inf")]])
    alarms = [alarm("a1", raised(1), offered("leader", "lise"))]
    verdict = offers_reached(alarms, [away], [press(1)], end=T0 + 60)
    assert verdict.held and verdict.checked == 0


def test_a_frame_of_another_office_is_a_violation_unless_shared() -> None:
    per = handset("per", office="o2")
    per.received.append(Received("a1", "o1", None, T0, shared=True))
    alarms = [alarm("a1", raised(1))]
    assert offices_kept_apart(alarms, [per]).held
    per.received.append(Received("a1", "o1", "leader", T0))
    assert not offices_kept_apart(alarms, [per]).held


def test_broken_chains_and_open_alarms_are_named() -> None:
    good, bad = alarm("a1", raised(1)), alarm("a2", raised(2), status="open")
    good.chain, bad.chain = "ok", "event 3: hash does not match"
    assert chains_verify([good, bad]).violations == ["a2: event 3: hash does not match"]
    assert alarms_closed([good, bad]).violations == ["a2: still open"]


def test_a_deadline_fired_twice_is_caught_but_unfilled_again_after_a_new_offer_is_not() -> None:
    again = AlarmRecord(
        "a1",
        "demo",
        "resolved",
        [
            event("RoleOffered", role_id="leader", offer_no=1),
            event("RoleUnfilled", role_id="leader"),
            event("RoleOffered", role_id="leader", offer_no=2),  # someone arrived
            event("RoleUnfilled", role_id="leader"),  # and let it run out too
        ],
    )
    assert deadlines_once([again]).violations == []
    twice = AlarmRecord(
        "a2",
        "demo",
        "resolved",
        [
            event("RoleOffered", role_id="leader", offer_no=1),
            event("OfferTimedOut", role_id="leader", offer_no=1),
            event("OfferTimedOut", role_id="leader", offer_no=1),
            event("RoleUnfilled", role_id="leader"),
            event("RoleUnfilled", role_id="leader"),
        ],
    )
    assert len(deadlines_once([twice]).violations) == 2
