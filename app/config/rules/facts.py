"""Rules on the office facts: numbers in range, real hours and dates, a timezone that exists."""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Iterator

from app.config.rules.base import Finding, error
from app.config.schema import Loc, OfficeFile, PeriodSpec

CANCEL_WINDOW_S = (0, 120)


def rule_cancel_window(f: OfficeFile) -> Iterator[Finding]:
    low, high = CANCEL_WINDOW_S
    if not low <= f.office.cancel_window_s <= high:
        yield error(
            ("office", "cancel_window_s"),
            f"{f.office.cancel_window_s} s: the cancel window must be between {low} and {high} "
            "seconds",
        )


def rule_timezone(f: OfficeFile) -> Iterator[Finding]:
    name = f.office.timezone
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        known = sorted(zoneinfo.available_timezones())
        if not known:
            return  # no timezone database on this machine: nothing to check against
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "e.g. 'Europe/Oslo'"
        yield error(("office", "timezone"), f"unknown timezone {name!r} ({hint})")


def rule_numbers(f: OfficeFile) -> Iterator[Finding]:
    limit = f.office.max_people_per_alarm
    if limit is not None and limit < 1:
        yield error(("office", "max_people_per_alarm"), f"{limit}: at least 1 person")
    if f.police is not None:
        if f.police.eta_min < 0:
            yield error(("police", "eta_min"), "the police response time cannot be negative")
        if f.police.far_after_min < 1:
            yield error(("police", "far_after_min"), "give the threshold in whole minutes, >= 1")


def _periods(f: OfficeFile) -> Iterator[tuple[Loc, PeriodSpec]]:
    for name, periods in f.time_windows.items():
        for j, p in enumerate(periods):
            yield ("time_windows", name, j), p
    lists: list[tuple[Loc, list[str | PeriodSpec]]] = []
    if f.guard is not None and not isinstance(f.guard.on_duty, str):
        lists.append((("guard", "on_duty"), list(f.guard.on_duty)))
    if f.reception is not None:
        lists.append((("reception", "staffed_alone"), list(f.reception.staffed_alone)))
    for loc, items in lists:
        for j, item in enumerate(items):
            if isinstance(item, PeriodSpec):
                yield (*loc, j), item


def rule_periods(f: OfficeFile) -> Iterator[Finding]:
    for loc, p in _periods(f):
        if p.from_ == p.to:
            yield error(
                (*loc, "to"),
                f"from {p.from_} to {p.to} is empty: for the whole day write "
                'from: "00:00", to: "24:00"',
            )
        if not p.days:
            yield error((*loc, "days"), "no days: list them (mon ... sun) or leave `days` out")
    for name, periods in f.time_windows.items():
        if not periods:
            yield error(("time_windows", name), f"window {name!r} has no periods")


def rule_delegations(f: OfficeFile) -> Iterator[Finding]:
    for i, d in enumerate(f.delegations):
        loc: Loc = ("delegations", i)
        if d.to < d.from_:
            yield error((*loc, "to"), f"ends {d.to} before it starts {d.from_}")
        if d.from_person == d.to_person:
            yield error((*loc, "to_person"), f"{d.to_person!r} cannot act for themselves")
        for j, other in enumerate(f.delegations[:i]):
            overlap = other.from_ <= d.to and d.from_ <= other.to
            if overlap and other.from_person == d.from_person:
                yield error(
                    loc,
                    f"overlaps delegations[{j}] for {d.from_person!r}: only one person can "
                    "act for someone at a time",
                )
            elif overlap and (other.from_person, other.to_person) == (d.to_person, d.from_person):
                yield error(
                    loc,
                    f"{d.from_person!r} and {d.to_person!r} would act for each other "
                    f"(delegations[{j}]): then nobody is there",
                )


def rule_variant_conditions(f: OfficeFile) -> Iterator[Finding]:
    for i, v in enumerate(f.rolecard.variants):
        if v.when.empty:
            yield error(
                ("rolecard", "variants", i, "when"),
                f"variant {v.id!r} has an empty `when`: it would apply to every alarm and the "
                "base card would never be used; say when it applies",
            )
        if not v.roles and not v.drop and v.presser is None:
            yield error(
                ("rolecard", "variants", i),
                f"variant {v.id!r} changes nothing: give `roles`, `drop` or `presser`",
            )


def rule_sharing(f: OfficeFile) -> Iterator[Finding]:
    """Sharing names another office; `offer_role` names a role of this card (`notify` none)."""
    roles = {r.id for r in f.rolecard.roles} | {r.id for v in f.rolecard.variants for r in v.roles}
    for i, share in enumerate(f.sharing):
        loc: Loc = ("sharing", i)
        if share.office == f.office.id:
            yield error((*loc, "office"), "an office does not share its alarms with itself")
        if share.policy == "offer_role" and share.role not in roles:
            yield error(
                (*loc, "role"),
                f"offer_role needs a role of this card to offer (got {share.role!r}; the card has "
                f"{', '.join(sorted(roles))})",
            )
        if share.policy == "notify" and share.role is not None:
            yield error((*loc, "role"), "notify offers no role: remove `role` or use offer_role")
