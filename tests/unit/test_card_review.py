"""Req. 31: readiness says how long the card in force has gone without review (a version
activated), and that it is due after a year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.learning.readiness import CARD_REVIEW_DAYS, card_review

ACTIVATED = datetime(2025, 11, 1, 9, 0, tzinfo=UTC)


def test_a_card_is_due_for_review_a_year_after_it_was_activated() -> None:
    fresh = card_review("2025-11-01", ACTIVATED, ACTIVATED + timedelta(days=30, hours=5))
    assert (fresh.days, fresh.due) == (30, False)
    on_the_day = card_review("2025-11-01", ACTIVATED, ACTIVATED + timedelta(CARD_REVIEW_DAYS))
    assert not on_the_day.due
    late = card_review("2025-11-01", ACTIVATED, ACTIVATED + timedelta(CARD_REVIEW_DAYS + 1))
    assert (late.days, late.due) == (CARD_REVIEW_DAYS + 1, True)


def test_an_unknown_activation_is_no_age_and_nothing_due() -> None:
    assert card_review("x", None, ACTIVATED) == card_review("x", None, ACTIVATED)
    unknown = card_review("x", None, ACTIVATED)
    assert (unknown.days, unknown.due, unknown.in_force_since) == (None, False, None)
