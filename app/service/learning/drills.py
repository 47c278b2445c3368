"""Drill windows, so presses during a drill are labelled as drills and scored afterwards.

While a window is open, the office's presses are raised as drills; afterwards each drill is
scored from its alarms' timelines against the office's earlier drills.

`mode_for` is what the MQTT intake asks on every press, so it answers from memory: the windows
not yet ended, loaded at start-up and kept current by `start` and `end`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from app.core.learning.drills import (
    Comparison,
    Scorecard,
    Window,
    last_finished,
    mode_at,
    score_all,
)
from app.core.learning.terms import Realism
from app.core.office import AlarmMode
from app.service.clock import Clock
from app.service.learning.ports import Conflict, DrillRow, LearningStore, NotFound, new_id
from app.service.learning.statistics import Statistics

log = structlog.get_logger(__name__)


def window_of(row: DrillRow) -> Window:
    return Window(row.drill_id, row.started_at, row.planned_end, row.ended_at)


@dataclass(frozen=True)
class DrillReport:
    drill: DrillRow
    open: bool
    scorecard: Scorecard
    comparison: Comparison


class Drills:
    def __init__(self, store: LearningStore, statistics: Statistics, clock: Clock) -> None:
        self._store = store
        self._statistics = statistics
        self._clock = clock
        self._windows: dict[str, dict[str, Window]] = {}  # office → drill → a window not ended
        # told as a drill starts (office, planned end): the neighbours hear of it (req. 12)
        self.on_started: Callable[[str, datetime], None] | None = None

    async def load(self) -> None:
        """Read the windows not yet ended; call before the intake takes presses."""
        self._windows = {}
        for row in await self._store.unended_drills():
            self._windows.setdefault(row.office_id, {})[row.drill_id] = window_of(row)
        open_now = [o for o in self._windows if self.open_drill(o) is not None]
        log.info("drill windows loaded", open_offices=sorted(open_now))

    def mode_for(self, office_id: str) -> AlarmMode:
        """The mode a press in this office gets now: `drill` inside an open window."""
        return mode_at(self._windows.get(office_id, {}).values(), self._clock.now())

    def open_drill(self, office_id: str) -> Window | None:
        now = self._clock.now()
        return next((w for w in self._windows.get(office_id, {}).values() if w.contains(now)), None)

    async def start(
        self, office_id: str, duration_min: int, realism: Realism, note: str | None, by: str
    ) -> DrillRow:
        running = self.open_drill(office_id)
        if running is not None:
            raise Conflict(
                "drill_open", f"drill {running.drill_id!r} is open until {running.end.isoformat()}"
            )
        now = self._clock.now()
        row = DrillRow(
            drill_id=new_id("dr"),
            office_id=office_id,
            started_at=now,
            planned_end=now + timedelta(minutes=duration_min),
            realism=realism,
            started_by=by,
            note=note,
        )
        await self._store.add_drill(row)
        self._windows.setdefault(office_id, {})[row.drill_id] = window_of(row)
        log.info("drill started", office_id=office_id, drill_id=row.drill_id, minutes=duration_min)
        if self.on_started is not None:
            self.on_started(office_id, row.planned_end)
        return row

    async def end(self, office_id: str, drill_id: str, evaluation: str | None, by: str) -> DrillRow:
        """End the window now (if its planned end has not passed) and keep the self-evaluation;
        ending an ended drill only updates the evaluation."""
        row = await self._store.drill(drill_id)
        if row is None or row.office_id != office_id:
            raise NotFound(f"drill {drill_id!r}")
        ended = row.ended_at or min(self._clock.now(), row.planned_end)
        changed = replace(
            row, ended_at=ended, evaluation=row.evaluation if evaluation is None else evaluation
        )
        if changed != row:
            await self._store.save_drill(changed)
        self._windows.get(office_id, {}).pop(drill_id, None)
        log.info("drill ended", office_id=office_id, drill_id=drill_id, by=by)
        return changed

    async def history(self, office_id: str) -> list[DrillReport]:
        """Every drill of the office with its scorecard, newest first."""
        rows = await self._store.drills(office_id)
        if not rows:
            return []
        now = self._clock.now()
        windows = [window_of(r) for r in rows]
        until = max(w.end for w in windows) + timedelta(microseconds=1)
        alarms = await self._statistics.figures(office_id, windows[0].started_at, until)
        by_id = {r.drill_id: r for r in rows}
        scored = score_all(windows, alarms)
        return [
            DrillReport(by_id[w.drill_id], not w.finished(now), card, comparison)
            for w, card, comparison in reversed(scored)
        ]

    async def last_finished(self, office_id: str) -> datetime | None:
        rows = await self._store.drills(office_id)
        return last_finished((window_of(r) for r in rows), self._clock.now())

    async def set_cadence(self, office_id: str, every_months: int, by: str) -> None:
        await self._store.set_cadence(office_id, every_months, self._clock.now(), by)

    async def cadence(self, office_id: str) -> int | None:
        return await self._store.cadence(office_id)
