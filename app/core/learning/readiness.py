"""Is the office ready: a drill due or overdue by its cadence, free text past its retention.

Offices drill "from twice a year to every three years" and intend yearly (report 4.1); the
dashboard must say plainly when the intention has slipped. Pure: `now` is always an argument.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_CADENCE_MONTHS = 12
MAX_CADENCE_MONTHS = 60
DEFAULT_FREE_TEXT_DAYS = 365
MIN_FREE_TEXT_DAYS = 1
MAX_FREE_TEXT_DAYS = 10 * 365


def add_months(at: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class DrillDue:
    cadence_months: int
    last_drill_at: datetime | None
    due_at: datetime | None  # None: the office has never finished a drill
    overdue: bool
    days_overdue: int | None  # whole days past `due_at`; None when not overdue or never drilled


def drill_due(last_drill_at: datetime | None, cadence_months: int, now: datetime) -> DrillDue:
    """An office that has never finished a drill is overdue."""
    if last_drill_at is None:
        return DrillDue(cadence_months, None, None, overdue=True, days_overdue=None)
    due = add_months(last_drill_at, cadence_months)
    overdue = now >= due
    return DrillDue(
        cadence_months,
        last_drill_at,
        due,
        overdue=overdue,
        days_overdue=(now - due).days if overdue else None,
    )


CARD_REVIEW_DAYS = 365
"""A role card in force longer than this without a new version is due for review: the report's
offices revise theirs yearly, and a card older than the staff, hours or rooms it names misleads."""


@dataclass(frozen=True)
class CardReview:
    version: str
    in_force_since: datetime | None  # activated (or, for the file's first version, stored)
    days: int | None
    due: bool


def card_review(version: str, since: datetime | None, now: datetime) -> CardReview:
    """How long the card in force has gone unreviewed; due after `CARD_REVIEW_DAYS`."""
    if since is None:
        return CardReview(version, None, None, due=False)
    days = max(0, (now - since).days)
    return CardReview(version, since, days, due=days > CARD_REVIEW_DAYS)


def retention_cutoff(now: datetime, free_text_days: int) -> datetime:
    """Free text written before this instant is past the office's retention period."""
    return now - timedelta(days=free_text_days)


def past_retention(written_at: datetime, now: datetime, free_text_days: int) -> bool:
    return written_at < retention_cutoff(now, free_text_days)
