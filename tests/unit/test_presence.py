"""Presence: connected and on duty counts; off duty or disconnected does not; offices apart."""

from __future__ import annotations

from app.service.presence import Presence


def test_a_person_is_present_while_one_handset_is_connected_and_on_duty() -> None:
    p = Presence()
    p.arrived("nav", "lise", "hs-1")
    p.arrived("nav", "lise", "hs-2")
    assert p.present("nav") == {"lise"}
    p.set_duty("nav", "hs-1", False)
    assert p.is_present("nav", "lise")  # the tablet is still on duty
    p.set_duty("nav", "hs-2", False)
    assert not p.is_present("nav", "lise") and p.present("nav") == frozenset()
    p.set_duty("nav", "hs-2", True)
    assert p.is_present("nav", "lise")
    p.left("nav", "lise", "hs-2")
    assert not p.is_present("nav", "lise")  # hs-1 is connected but off duty
    p.left("nav", "lise", "hs-1")
    p.arrived("nav", "lise", "hs-1")
    assert p.is_present("nav", "lise")  # a new connection starts on duty


def test_the_same_person_id_in_two_offices_is_two_people() -> None:
    p = Presence()
    p.arrived("bv", "lise", "hs-lise")
    assert p.present("nav") == frozenset() and not p.is_present("nav", "lise")
    assert p.present("bv") == {"lise"}
