"""Office statistics over a period: alarms per mode, times and unclaimed roles, incidents.

Measures how the alarm worked, not only that it was pressed (report 4.5): real alarms and
drills are kept apart, tests only counted, and everything is per office or per role.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.core.learning.figures import AlarmFigures, Spread
from app.core.learning.terms import IncidentKind
from app.core.office import AlarmMode


@dataclass(frozen=True)
class RoleFigures:
    role_id: str
    alarms: int  # alarms this role was part of
    taken: int  # alarms where someone took it before the end
    unclaimed: int  # alarms where it was required and nobody took it
    accept: Spread = field(default_factory=Spread)  # press → accept


@dataclass(frozen=True)
class ModeFigures:
    """Real alarms, or drills: how many, how they ended, how fast, which roles went unclaimed."""

    alarms: int = 0
    resolved: int = 0
    cancelled: int = 0
    open: int = 0
    first_accept: Spread = field(default_factory=Spread)
    first_arrival: Spread = field(default_factory=Spread)  # time to first responder at location
    all_clear: Spread = field(default_factory=Spread)
    roles: tuple[RoleFigures, ...] = ()

    @property
    def roles_unclaimed(self) -> dict[str, int]:
        return {r.role_id: r.unclaimed for r in self.roles if r.unclaimed}


@dataclass(frozen=True)
class OfficeStatistics:
    start: datetime
    end: datetime
    alarms: Mapping[AlarmMode, int]
    real: ModeFigures
    drill: ModeFigures
    incidents: Mapping[IncidentKind, int] = field(default_factory=dict)

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())


def in_period(at: datetime, start: datetime, end: datetime) -> bool:
    """Half open, [start, end): consecutive periods count every alarm once."""
    return start <= at < end


def mode_figures(alarms: Iterable[AlarmFigures]) -> ModeFigures:
    every = list(alarms)
    outcomes = Counter(f.outcome for f in every)
    return ModeFigures(
        alarms=len(every),
        resolved=outcomes["resolved"],
        cancelled=outcomes["cancelled"],
        open=outcomes["open"],
        first_accept=Spread.of(f.first_accept_s for f in every if f.first_accept_s is not None),
        first_arrival=Spread.of(f.first_arrival_s for f in every if f.first_arrival_s is not None),
        all_clear=Spread.of(f.all_clear_s for f in every if f.all_clear_s is not None),
        roles=role_figures(every),
    )


def role_figures(alarms: Iterable[AlarmFigures]) -> tuple[RoleFigures, ...]:
    """Per role, in the order roles first appear (card order for one card)."""
    order: list[str] = []
    part: Counter[str] = Counter()
    unclaimed: Counter[str] = Counter()
    times: dict[str, list[float]] = {}
    for f in alarms:
        for role in f.role_ids:
            if role not in part:
                order.append(role)
            part[role] += 1
        unclaimed.update(f.roles_unclaimed)
        for role, s in f.role_accept_s.items():
            times.setdefault(role, []).append(s)
    return tuple(
        RoleFigures(
            role_id=role,
            alarms=part[role],
            taken=len(times.get(role, ())),
            unclaimed=unclaimed[role],
            accept=Spread.of(times.get(role, ())),
        )
        for role in order
    )


def office_statistics(
    alarms: Iterable[AlarmFigures],
    incident_kinds: Iterable[IncidentKind],
    start: datetime,
    end: datetime,
) -> OfficeStatistics:
    """Alarms raised in [start, end) (others are left out) and the incidents given, by kind."""
    inside = [f for f in alarms if in_period(f.raised_at, start, end)]
    counts = Counter(f.mode for f in inside)
    return OfficeStatistics(
        start=start,
        end=end,
        alarms={mode: counts[mode] for mode in AlarmMode},
        real=mode_figures(f for f in inside if f.mode is AlarmMode.REAL),
        drill=mode_figures(f for f in inside if f.mode is AlarmMode.DRILL),
        incidents=dict(sorted(Counter(incident_kinds).items())),
    )
