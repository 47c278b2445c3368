"""Which time windows (drop-in, appointments, after hours) hold at an office-local wall-clock time.

Pure: the caller converts to the office's timezone first; only weekday and minute are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from app.core.facts import AFTER_HOURS, MINUTES_PER_DAY, Period, Schedule

Windows = Mapping[str, tuple[Period, ...]]
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


def windows_at(windows: Windows, weekday: int, minute: int) -> frozenset[str]:
    """Names of the windows holding then; `after_hours`, unless defined, is when none holds."""
    active = {
        name
        for name, periods in windows.items()
        if any(p.contains(weekday, minute) for p in periods)
    }
    if AFTER_HOURS not in windows and windows and not active:
        active.add(AFTER_HOURS)
    return frozenset(active)


def active_windows(windows: Windows, local_time: datetime) -> frozenset[str]:
    """`windows_at` for a local time (naive, or aware in the office's timezone)."""
    return windows_at(windows, local_time.weekday(), local_time.hour * 60 + local_time.minute)


def schedule_holds(schedule: Schedule, windows: Windows, weekday: int, minute: int) -> bool:
    if schedule.always:
        return True
    if any(p.contains(weekday, minute) for p in schedule.periods):
        return True
    return bool(set(schedule.windows) & windows_at(windows, weekday, minute))


def schedule_holds_at(schedule: Schedule, windows: Windows, local_time: datetime) -> bool:
    minute = local_time.hour * 60 + local_time.minute
    return schedule_holds(schedule, windows, local_time.weekday(), minute)


def week_boundaries(periods: Iterator[Period]) -> list[tuple[int, int]]:
    """Every (weekday, minute) where some period starts or ends, plus Monday 00:00, sorted.

    Between two consecutive boundaries nothing changes, so evaluating at each boundary sees every
    state the week can be in: the validator uses this to try every variant that can apply.
    """
    points = {0}
    for p in periods:
        for day in p.days:
            for minute in (p.start_min, p.end_min):
                points.add((day * MINUTES_PER_DAY + minute) % MINUTES_PER_WEEK)
            points.add((day + 1) * MINUTES_PER_DAY % MINUTES_PER_WEEK)
    return [divmod(point, MINUTES_PER_DAY) for point in sorted(points)]
