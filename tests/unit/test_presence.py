"""Presence: connected and on duty counts; off duty or disconnected does not."""

from __future__ import annotations

from app.service.presence import Presence


def test_a_person_is_present_while_one_handset_is_connected_and_on_duty() -> None:
    p = Presence()
    p.arrived("lise", "hs-1")
    p.arrived("lise", "hs-2")
    assert p.present() == {"lise"}
    p.set_duty("hs-1", False)
    assert p.is_present("lise")  # the tablet is still on duty
    p.set_duty("hs-2", False)
    assert not p.is_present("lise") and p.present() == frozenset()
    p.set_duty("hs-2", True)
    assert p.is_present("lise")
    p.left("lise", "hs-2")
    assert not p.is_present("lise")  # hs-1 is connected but off duty
    p.left("lise", "hs-1")
    p.arrived("lise", "hs-1")
    assert p.is_present("lise")  # a new connection starts on duty
