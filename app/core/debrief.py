"""The debrief of one alarm, computed from its timeline events alone.

Pure functions: per-role times (press → first offer, first offer → accept, accept → first step),
deviations from the role card (a role nobody took, a late accept, a decline, an offer nobody
answered, a cancel) and one plain row per event for exports. Nothing here reads a clock: an open
alarm is judged only on what has happened so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.core import events as ev


class DeviationKind(StrEnum):
    UNFILLED = "unfilled"  # escalation ran out: nobody left to ask (RoleUnfilled)
    NOT_TAKEN = "not_taken"  # a required role nobody held when the alarm closed
    LATE_ACCEPT = "late_accept"  # accepted after the first offer's deadline
    DECLINED = "declined"
    TIMED_OUT = "timed_out"  # an offer nobody answered before its deadline
    CANCELLED = "cancelled"  # the presser withdrew the alarm
    NO_ARRIVAL = "no_arrival"  # nobody who goes to the presser arrived within the card's time
    RAN_IN = "ran_in"  # someone told to withdraw or assemble marked arrival at the alarm


@dataclass(frozen=True)
class Deviation:
    kind: DeviationKind
    at: datetime
    role_id: str | None = None
    person_ids: tuple[str, ...] = ()
    late_by_s: float | None = None  # LATE_ACCEPT only


@dataclass(frozen=True)
class RoleTimes:
    role_id: str
    required: bool
    first_offer_at: datetime | None
    first_due_at: datetime | None
    accepted_at: datetime | None
    holder_id: str | None
    first_step_at: datetime | None
    steps_done: tuple[int, ...]
    declines: int
    timeouts: int
    unfilled_at: datetime | None
    press_to_offer_s: float | None
    offer_to_accept_s: float | None
    accept_to_first_step_s: float | None

    @property
    def late(self) -> bool:
        return (
            self.accepted_at is not None
            and self.first_due_at is not None
            and self.accepted_at > self.first_due_at
        )


@dataclass(frozen=True)
class Summary:
    press_at: datetime | None
    raised_at: datetime | None
    first_offer_at: datetime | None
    first_accept_at: datetime | None
    closed_at: datetime | None
    outcome: str  # open, resolved, cancelled
    press_to_first_accept_s: float | None
    duration_s: float | None
    help_requests: int
    presser_id: str | None = None
    presser_via: str | None = None  # checked_in, carried, roster, holder; None: unknown
    first_arrival_at: datetime | None = None
    press_to_arrival_s: float | None = None  # time to location (req. 10, 32)
    police_contacted_by: str | None = None  # a person ticked it; Rollekort never calls police
    police_contacted_at: datetime | None = None
    repeats: int = 0  # presses after the first, coalesced rows counted for every press
    late_repeats: int = 0  # of them, pressed before the close and arrived after it
    first_repeat_at: datetime | None = None
    last_repeat_at: datetime | None = None


@dataclass(frozen=True)
class Row:
    """One timeline event as a flat record (CSV, printable page)."""

    at: datetime
    since_press_s: float | None
    type: str
    actor: str
    role_id: str | None
    person_ids: tuple[str, ...]
    detail: str


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def press_time(events: Iterable[ev.Event]) -> datetime | None:
    """When the button was pressed: the press event, or the alarm if the press is missing."""
    raised = None
    for e in events:
        if isinstance(e, ev.PressReceived):
            return e.at
        if isinstance(e, ev.AlarmRaised) and raised is None:
            raised = e.at
    return raised


def role_ids(events: Iterable[ev.Event]) -> tuple[str, ...]:
    """The alarm's roles in card order, then any role that appears only later."""
    ids: list[str] = []
    for e in events:
        if isinstance(e, ev.AlarmRaised):
            ids.extend(r for r in e.role_ids if r not in ids)
        role_id = getattr(e, "role_id", None)
        if isinstance(role_id, str) and role_id not in ids:
            ids.append(role_id)
    return tuple(ids)


def role_times(
    events: Sequence[ev.Event], required_role_ids: Iterable[str] | None = None
) -> list[RoleTimes]:
    """One entry per role of the alarm. `required_role_ids=None` counts every role as required."""
    press = press_time(events)
    required = None if required_role_ids is None else frozenset(required_role_ids)
    return [_times_of(r, events, press, required) for r in role_ids(events)]


def _times_of(
    role_id: str,
    events: Sequence[ev.Event],
    press: datetime | None,
    required: frozenset[str] | None,
) -> RoleTimes:
    first_offer: ev.RoleOffered | None = None
    accepted: ev.RoleAccepted | None = None
    first_step: datetime | None = None
    steps: list[int] = []
    declines = timeouts = 0
    unfilled_at: datetime | None = None
    for e in events:
        if getattr(e, "role_id", None) != role_id:
            continue
        if isinstance(e, ev.RoleOffered) and first_offer is None:
            first_offer = e
        elif isinstance(e, ev.RoleAccepted) and accepted is None:
            accepted = e
        elif isinstance(e, ev.RoleDeclined):
            declines += 1
        elif isinstance(e, ev.OfferTimedOut):
            timeouts += 1
        elif isinstance(e, ev.RoleUnfilled) and unfilled_at is None:
            unfilled_at = e.at
        elif isinstance(e, ev.StepCompleted):
            first_step = first_step or e.at
            if e.step not in steps:
                steps.append(e.step)
    offer_at = first_offer.at if first_offer else None
    accepted_at = accepted.at if accepted else None
    return RoleTimes(
        role_id=role_id,
        required=required is None or role_id in required,
        first_offer_at=offer_at,
        first_due_at=first_offer.due_at if first_offer else None,
        accepted_at=accepted_at,
        holder_id=accepted.person_id if accepted else None,
        first_step_at=first_step,
        steps_done=tuple(sorted(steps)),
        declines=declines,
        timeouts=timeouts,
        unfilled_at=unfilled_at,
        press_to_offer_s=seconds(press, offer_at),
        offer_to_accept_s=seconds(offer_at, accepted_at),
        accept_to_first_step_s=seconds(accepted_at, first_step),
    )


def closing(events: Iterable[ev.Event]) -> ev.AllClearGiven | ev.AlarmCancelled | None:
    for e in events:
        if isinstance(e, ev.AllClearGiven | ev.AlarmCancelled):
            return e
    return None


def deviations(
    events: Sequence[ev.Event],
    required_role_ids: Iterable[str],
    staying_role_ids: Iterable[str] = (),
    arrive_within_s: float | None = None,
) -> list[Deviation]:
    """What departed from the card, in time order. `staying_role_ids`: roles told to withdraw
    or assemble elsewhere (their holders marking arrival ran in); `arrive_within_s`: when the
    first arrival is due."""
    required = frozenset(required_role_ids)
    found = _arrival_deviations(events, frozenset(staying_role_ids), arrive_within_s)
    for e in events:
        if isinstance(e, ev.RoleDeclined):
            found.append(Deviation(DeviationKind.DECLINED, e.at, e.role_id, (e.person_id,)))
        elif isinstance(e, ev.OfferTimedOut):
            found.append(Deviation(DeviationKind.TIMED_OUT, e.at, e.role_id, e.person_ids))
        elif isinstance(e, ev.RoleUnfilled):
            found.append(Deviation(DeviationKind.UNFILLED, e.at, e.role_id))
        elif isinstance(e, ev.AlarmCancelled):
            found.append(Deviation(DeviationKind.CANCELLED, e.at))
    times = role_times(events, required)
    for t in times:
        if t.late and t.accepted_at is not None:
            late_by = seconds(t.first_due_at, t.accepted_at)
            person = (t.holder_id,) if t.holder_id else ()
            found.append(
                Deviation(DeviationKind.LATE_ACCEPT, t.accepted_at, t.role_id, person, late_by)
            )
    end = closing(events)
    if end is not None:
        for t in times:
            if t.role_id in required and (t.accepted_at is None or t.accepted_at > end.at):
                found.append(Deviation(DeviationKind.NOT_TAKEN, end.at, t.role_id))
    return sorted(found, key=lambda d: d.at)


def _arrival_deviations(
    events: Sequence[ev.Event], staying: frozenset[str], arrive_within_s: float | None
) -> list[Deviation]:
    found: list[Deviation] = []
    assembled = {p for e in events if isinstance(e, ev.AssemblyCalled) for p in e.person_ids}
    arrivals = [e for e in events if isinstance(e, ev.ArrivalMarked)]
    for a in arrivals:
        told_to_stay = a.role_id in staying or (a.role_id is None and a.person_id in assembled)
        if told_to_stay:
            found.append(Deviation(DeviationKind.RAN_IN, a.at, a.role_id, (a.person_id,)))
    press = press_time(events)
    if arrive_within_s is None or press is None:
        return found
    due = press + timedelta(seconds=arrive_within_s)
    helpers = [a for a in arrivals if a.role_id is not None and a.role_id not in staying]
    end = closing(events)
    until = end.at if end is not None else max((e.at for e in events), default=press)
    if helpers and helpers[0].at > due:
        late_by = seconds(due, helpers[0].at)
        found.append(Deviation(DeviationKind.NO_ARRIVAL, due, late_by_s=late_by))
    elif not helpers and until > due:
        found.append(Deviation(DeviationKind.NO_ARRIVAL, due))
    return found


def first_arrival(events: Iterable[ev.Event]) -> ev.ArrivalMarked | None:
    return next((e for e in events if isinstance(e, ev.ArrivalMarked)), None)


def summary(events: Sequence[ev.Event]) -> Summary:
    press = press_time(events)
    raised = next((e.at for e in events if isinstance(e, ev.AlarmRaised)), None)
    first_offer = next((e.at for e in events if isinstance(e, ev.RoleOffered)), None)
    first_accept = next((e.at for e in events if isinstance(e, ev.RoleAccepted)), None)
    end = closing(events)
    raised_event = next((e for e in events if isinstance(e, ev.AlarmRaised)), None)
    arrival = first_arrival(events)
    police = next((e for e in events if isinstance(e, ev.PoliceContacted)), None)
    outcome = "open"
    if isinstance(end, ev.AllClearGiven):
        outcome = "resolved"
    elif isinstance(end, ev.AlarmCancelled):
        outcome = "cancelled"
    return Summary(
        press_at=press,
        raised_at=raised,
        first_offer_at=first_offer,
        first_accept_at=first_accept,
        closed_at=end.at if end else None,
        outcome=outcome,
        press_to_first_accept_s=seconds(press, first_accept),
        duration_s=seconds(press, end.at if end else None),
        help_requests=sum(1 for e in events if isinstance(e, ev.HelpRequested)),
        presser_id=raised_event.presser_id if raised_event else None,
        presser_via=raised_event.presser_via if raised_event else None,
        first_arrival_at=arrival.at if arrival else None,
        press_to_arrival_s=seconds(press, arrival.at if arrival else None),
        police_contacted_by=police.person_id if police else None,
        police_contacted_at=police.at if police else None,
        **repeat_counts(events),
    )


def repeat_counts(events: Sequence[ev.Event]) -> dict[str, Any]:
    """The repeat count with the first and the last repeat's time (a flood is a few rows)."""
    rows = [e for e in events if isinstance(e, ev.PressRepeated)]
    return {
        "repeats": sum(e.count for e in rows),
        "late_repeats": sum(e.count for e in rows if e.late),
        "first_repeat_at": min((e.first_at or e.at for e in rows), default=None),
        "last_repeat_at": max((e.last_at or e.at for e in rows), default=None),
    }


def rows(events: Sequence[ev.Event]) -> list[Row]:
    press = press_time(events)
    return [
        Row(
            at=e.at,
            since_press_s=seconds(press, e.at),
            type=type(e).__name__,
            actor=e.actor,
            role_id=getattr(e, "role_id", None),
            person_ids=persons_of(e),
            detail=detail(e),
        )
        for e in events
    ]


def persons_of(e: ev.Event) -> tuple[str, ...]:
    many = getattr(e, "person_ids", None)
    if isinstance(many, tuple):
        return tuple(str(p) for p in many)
    one = getattr(e, "person_id", None)
    return (one,) if isinstance(one, str) else ()


def detail(e: ev.Event) -> str:
    """A short English description of what the event adds beyond type, actor, role and person."""
    match e:
        case ev.PressReceived(gesture=g, seq=s, battery=b):
            return f"gesture {g.value}, seq {s}" + (f", battery {b}%" if b is not None else "")
        case ev.AlarmRaised(level=lv, mode=m, location_id=loc, rolecard_version=v, presser_id=p):
            who = f", pressed by {p}" if p else ", presser unknown"
            return f"level {lv.value}, mode {m.value}, at {loc}, role card {v}{who}"
        case ev.RoleOffered(stage=st, offer_no=n, due_at=due):
            return f"offer {n} ({st}), due {due.isoformat()}"
        case ev.RoleDeclined(reason=why):
            return f"reason: {why}" if why else ""
        case ev.OfferTimedOut(offer_no=n):
            return f"offer {n} not answered in time"
        case ev.OfferWithdrawn(reason=why):
            return why
        case ev.StepCompleted(step=n):
            return f"step {n}"
        case ev.HelpRequested(text=t) | ev.AllClearGiven(note=t):
            return t or ""
        case ev.PressRepeated(gesture=g, level=lv, count=n, seqs=seqs, late=late):
            many = f", {n} presses (seq {seqs})" if n > 1 else ""
            return f"gesture {g.value}, level {lv.value}{many}" + (
                ", after the close" if late else ""
            )
        case ev.LevelRaised(level=lv):
            return f"level {lv.value}"
        case ev.LockdownChanged(on=on):
            return "lockdown on" if on else "lockdown lifted"
        case ev.ArrivalMarked(via=via):
            return "arrived (one tap)" if via == "tap" else "arrived (the role's arrival step)"
        case ev.PoliceContacted():
            return "police contacted (ticked by a person)"
        case ev.CancelRefused(seq=s) | ev.AlarmCancelled(seq=s):
            return f"seq {s}"
    return ""
