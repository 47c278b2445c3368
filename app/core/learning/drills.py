"""Drill windows and scorecards, so an office sees by role whether its drills get better.

Presses inside a window are drills; each drill is scored against the office's earlier drills.

Pure: every judgement takes `now` or the alarms' own times; nothing here ranks people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.core.learning.figures import AlarmFigures, DeviationCount, count_merge, median
from app.core.learning.statistics import RoleFigures, role_figures
from app.core.office import AlarmMode

DEFAULT_DURATION_MIN = 30
MAX_DURATION_MIN = 8 * 60


@dataclass(frozen=True)
class Window:
    """A drill's window: from its start to its planned end, or to when it was ended early."""

    drill_id: str
    started_at: datetime
    planned_end: datetime
    ended_at: datetime | None = None

    @property
    def end(self) -> datetime:
        if self.ended_at is None:
            return self.planned_end
        return min(self.ended_at, self.planned_end)

    def contains(self, at: datetime) -> bool:
        return self.started_at <= at < self.end

    def finished(self, now: datetime) -> bool:
        return now >= self.end


def mode_at(windows: Iterable[Window], now: datetime) -> AlarmMode:
    """A press now is a drill if a drill window of the office is open, else a real alarm."""
    return AlarmMode.DRILL if any(w.contains(now) for w in windows) else AlarmMode.REAL


def last_finished(windows: Iterable[Window], now: datetime) -> datetime | None:
    """When the office's last finished drill ended; an open drill does not count yet."""
    ends = [w.end for w in windows if w.finished(now)]
    return max(ends) if ends else None


@dataclass(frozen=True)
class Scorecard:
    drill_id: str
    alarms: int
    first_accept_s: float | None  # press → first accept (median over the drill's alarms)
    all_clear_s: float | None  # press → all-clear (median over the resolved ones)
    roles: tuple[RoleFigures, ...]  # per role: taken in how many alarms, time to accept
    roles_not_taken: tuple[str, ...]  # required roles nobody took in at least one alarm
    deviations: tuple[DeviationCount, ...]  # per kind and role, no names
    participants: int  # the most people who took a role in one of the drill's alarms


@dataclass(frozen=True)
class Comparison:
    """This drill against the office's earlier drills that had at least one alarm."""

    earlier_drills: int
    first_accept_median_s: float | None
    all_clear_median_s: float | None
    role_accept_median_s: dict[str, float] = field(default_factory=dict)
    first_accept_change_s: float | None = None  # this drill − the earlier median; < 0 is faster


def scorecard(drill_id: str, alarms: Sequence[AlarmFigures]) -> Scorecard:
    roles = role_figures(alarms)
    return Scorecard(
        drill_id=drill_id,
        alarms=len(alarms),
        first_accept_s=median([f.first_accept_s for f in alarms if f.first_accept_s is not None]),
        all_clear_s=median([f.all_clear_s for f in alarms if f.all_clear_s is not None]),
        roles=roles,
        roles_not_taken=tuple(r.role_id for r in roles if r.unclaimed),
        deviations=count_merge(f.deviations for f in alarms),
        participants=max((f.participants for f in alarms), default=0),
    )


def compare(card: Scorecard, earlier: Iterable[Scorecard]) -> Comparison:
    scored = [c for c in earlier if c.alarms]
    first = median([c.first_accept_s for c in scored if c.first_accept_s is not None])
    per_role: dict[str, list[float]] = {}
    for c in scored:
        for r in c.roles:
            if r.accept.median_s is not None:
                per_role.setdefault(r.role_id, []).append(r.accept.median_s)
    change = None
    if first is not None and card.first_accept_s is not None:
        change = round(card.first_accept_s - first, 3)
    return Comparison(
        earlier_drills=len(scored),
        first_accept_median_s=first,
        all_clear_median_s=median([c.all_clear_s for c in scored if c.all_clear_s is not None]),
        role_accept_median_s={
            role: m for role, times in per_role.items() if (m := median(times)) is not None
        },
        first_accept_change_s=change,
    )


def score_all(
    windows: Sequence[Window], alarms: Iterable[AlarmFigures]
) -> list[tuple[Window, Scorecard, Comparison]]:
    """Every drill scored from the drill alarms raised in its window, and compared with the
    drills that started before it; oldest first."""
    drills = [a for a in alarms if a.mode is AlarmMode.DRILL]
    ordered = sorted(windows, key=lambda w: (w.started_at, w.drill_id))
    out: list[tuple[Window, Scorecard, Comparison]] = []
    for w in ordered:
        card = scorecard(w.drill_id, [a for a in drills if w.contains(a.raised_at)])
        out.append((w, card, compare(card, (c for _w, c, _cmp in out))))
    return out
