"""One alarm's figures, computed from its timeline alone, for statistics and drill scorecards.

Only roles and counts come out of here, never who: an alarm's figures say how fast the office
worked, not how fast any one person was, so no per-person table can be built from them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.core import debrief as db
from app.core import events as ev
from app.core.office import AlarmMode


@dataclass(frozen=True)
class Spread:
    """How a duration was spread over a set of alarms: how many had one, the median, the 90th
    percentile (nearest rank)."""

    count: int = 0
    median_s: float | None = None
    p90_s: float | None = None

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        data = sorted(values)
        return cls(len(data), median(data), percentile(data, 90))


@dataclass(frozen=True)
class DeviationCount:
    kind: str
    role_id: str | None
    count: int


@dataclass(frozen=True)
class AlarmFigures:
    alarm_id: str
    mode: AlarmMode
    outcome: str  # open, resolved, cancelled
    raised_at: datetime
    first_accept_s: float | None  # press → the first accept of any role
    all_clear_s: float | None  # press → all-clear; resolved alarms only
    role_ids: tuple[str, ...]
    role_accept_s: dict[str, float] = field(default_factory=dict)  # press → accept, taken roles
    roles_unclaimed: tuple[str, ...] = ()  # required roles nobody took before the end
    deviations: tuple[DeviationCount, ...] = ()
    participants: int = 0  # how many took a role: a count, never who
    first_arrival_s: float | None = None  # press → the first "I am there" (time to location)


def median(values: Sequence[float]) -> float | None:
    data = sorted(values)
    if not data:
        return None
    mid = len(data) // 2
    if len(data) % 2:
        return data[mid]
    return round((data[mid - 1] + data[mid]) / 2, 3)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: a value that occurred, so no interpolated time is reported."""
    data = sorted(values)
    if not data:
        return None
    rank = max(1, math.ceil(q / 100 * len(data)))
    return data[rank - 1]


def count_deviations(deviations: Iterable[db.Deviation]) -> tuple[DeviationCount, ...]:
    """Deviations per kind and role, without the people named in them."""
    return count_merge([[DeviationCount(d.kind.value, d.role_id, 1) for d in deviations]])


def count_merge(groups: Iterable[Iterable[DeviationCount]]) -> tuple[DeviationCount, ...]:
    """Several alarms' deviation counts added up, per kind and role."""
    total: Counter[tuple[str, str | None]] = Counter()
    for group in groups:
        for d in group:
            total[(d.kind, d.role_id)] += d.count
    return tuple(
        DeviationCount(kind, role, n)
        for (kind, role), n in sorted(total.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    )


def figures(
    alarm_id: str, events: Sequence[ev.Event], required_role_ids: Iterable[str]
) -> AlarmFigures | None:
    """The figures of one alarm; None for a timeline without `AlarmRaised` (nothing to count)."""
    raised = next((e for e in events if isinstance(e, ev.AlarmRaised)), None)
    if raised is None:
        return None
    required = frozenset(required_role_ids)
    summary = db.summary(events)
    press = summary.press_at or raised.at
    times = db.role_times(events, required)
    end = db.closing(events)
    accepted = {
        t.role_id: t.accepted_at
        for t in times
        if t.accepted_at is not None and (end is None or t.accepted_at <= end.at)
    }
    unclaimed: tuple[str, ...] = ()
    if summary.outcome != "cancelled":  # a withdrawn alarm needed nobody
        unclaimed = tuple(t.role_id for t in times if t.required and t.role_id not in accepted)
    takers = {e.person_id for e in events if isinstance(e, ev.RoleAccepted)}
    return AlarmFigures(
        alarm_id=alarm_id,
        mode=raised.mode,
        outcome=summary.outcome,
        raised_at=raised.at,
        first_accept_s=summary.press_to_first_accept_s,
        all_clear_s=summary.duration_s if summary.outcome == "resolved" else None,
        role_ids=tuple(t.role_id for t in times),
        role_accept_s={
            role: s for role, at in accepted.items() if (s := db.seconds(press, at)) is not None
        },
        roles_unclaimed=unclaimed,
        deviations=count_deviations(db.deviations(events, required)),
        participants=len(takers),
        first_arrival_s=summary.press_to_arrival_s,
    )
