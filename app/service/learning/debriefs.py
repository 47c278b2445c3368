"""Debriefs, so every real alarm is reviewed and nobody involved is left without after-care.

Every real alarm gets one when it closes; it stays first on the office's list until someone
closes it, which needs after-care recorded for everyone involved, leaders too.

"Etter hendelser går vi gjennom hva som skjedde, hva vi kan lære av det, hva som skal endres":
the three questions are the three texts; reports filed elsewhere are kept only as references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from app.core import debrief as db
from app.core.alarm import AlarmStatus
from app.core.learning.aftercare import debrief_id_for, involved, missing_aftercare
from app.core.learning.terms import DebriefStatus, Support
from app.core.office import AlarmMode
from app.service.clock import Clock
from app.service.learning.ports import (
    AftercareRow,
    Conflict,
    DebriefRow,
    Invalid,
    LearningStore,
    NotFound,
    OutreachRow,
    Reference,
)
from app.service.learning.statistics import dispatched_office, leader_roles
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, AlarmSummary

log = structlog.get_logger(__name__)
CLOCK_SKEW = timedelta(minutes=5)  # an after-care time this far ahead is still accepted


@dataclass(frozen=True)
class DebriefView:
    debrief: DebriefRow
    alarm: AlarmSummary | None
    aftercare: tuple[AftercareRow, ...]
    visit: OutreachRow | None = None  # the outreach session that raised the alarm (req. 37)

    @property
    def missing_aftercare(self) -> tuple[str, ...]:
        return missing_aftercare(self.debrief.involved, (a.person_id for a in self.aftercare))


def list_order(view: DebriefView) -> tuple[bool, float]:
    """Open debriefs first (they wait for the next office meeting), then the newest alarm."""
    at = view.alarm.raised_at if view.alarm else view.debrief.created_at
    return view.debrief.status is not DebriefStatus.OPEN, -at.timestamp()


class Debriefs:
    def __init__(
        self, store: LearningStore, alarms: AlarmStore, offices: OfficeDirectory, clock: Clock
    ) -> None:
        self._store = store
        self._alarms = alarms
        self._offices = offices
        self._clock = clock

    async def on_alarm_closed(self, alarm_id: str) -> DebriefRow | None:
        """Open the debrief of a real alarm that has closed (resolved or cancelled); a no-op for
        a drill, a test, an open alarm, or an alarm that has its debrief already."""
        summary = await self._alarms.alarm(alarm_id)
        if (
            summary is None
            or summary.mode != AlarmMode.REAL.value
            or summary.status == AlarmStatus.OPEN.value
        ):
            return None
        existing = await self._store.debrief(debrief_id_for(alarm_id))
        if existing is not None:
            return existing
        events = [s.event for s in await self._alarms.events(alarm_id)]
        leaders = leader_roles(dispatched_office(self._offices, summary), db.role_ids(events))
        row = DebriefRow(
            debrief_id=debrief_id_for(alarm_id),
            office_id=summary.office_id,
            alarm_id=alarm_id,
            created_at=self._clock.now(),
            involved=involved(events, leaders),
        )
        if await self._store.add_debrief(row):
            log.info("debrief opened", office_id=row.office_id, alarm_id=alarm_id)
            return row
        return await self._store.debrief(row.debrief_id)

    async def for_office(self, office_id: str) -> list[DebriefView]:
        """The office's debriefs, open first; opens any a closed real alarm is still missing."""
        for alarm_id in await self._store.closed_real_alarms_without_debrief(office_id):
            await self.on_alarm_closed(alarm_id)
        visits = await self._visits(office_id)
        rows = await self._store.debriefs(office_id)
        views = [await self._view(row, visits) for row in rows]
        return sorted(views, key=list_order)

    async def get(self, debrief_id: str) -> DebriefView:
        return await self._view(await self._row(debrief_id))

    async def update(
        self,
        debrief_id: str,
        *,
        what_happened: str | None = None,
        what_we_learn: str | None = None,
        what_we_change: str | None = None,
        references: Sequence[Reference] | None = None,
    ) -> DebriefView:
        """Change the given fields; a closed debrief is the record of its meeting and stays."""
        row = await self._row(debrief_id)
        if row.status is DebriefStatus.CLOSED:
            raise Conflict("debrief_closed", f"debrief {debrief_id!r} is closed")
        changed = replace(
            row,
            what_happened=row.what_happened if what_happened is None else what_happened,
            what_we_learn=row.what_we_learn if what_we_learn is None else what_we_learn,
            what_we_change=row.what_we_change if what_we_change is None else what_we_change,
            report_refs=row.report_refs if references is None else tuple(references),
            updated_at=self._clock.now(),
        )
        await self._store.save_debrief(changed)
        return await self._view(changed)

    async def add_aftercare(
        self, debrief_id: str, person_id: str, supports: Sequence[Support], offered_at: datetime
    ) -> DebriefView:
        """Record which support was offered to one person and when; also after closing, since
        follow-up goes on. Anyone involved or on the office's staff list may be named."""
        row = await self._row(debrief_id)
        now = self._clock.now()
        if offered_at > now + CLOCK_SKEW:
            raise Invalid("offered_in_future", "after-care is recorded once it has been offered")
        office = self._offices.offices.get(row.office_id)
        staff = set(office.people) if office else set()
        if person_id not in row.involved and person_id not in staff:
            raise Invalid("unknown_person", f"{person_id!r} is neither involved nor on the staff")
        for support in dict.fromkeys(supports):
            entry = AftercareRow(debrief_id, person_id, support, offered_at, recorded_at=now)
            await self._store.add_aftercare(entry)
        return await self._view(row)

    async def close(self, debrief_id: str, by: str) -> DebriefView:
        view = await self.get(debrief_id)
        if view.debrief.status is DebriefStatus.CLOSED:
            return view
        missing = view.missing_aftercare
        if missing:
            raise Conflict(
                "aftercare_missing",
                "record the after-care offered to everyone involved first: " + ", ".join(missing),
            )
        now = self._clock.now()
        closed = replace(
            view.debrief, status=DebriefStatus.CLOSED, closed_at=now, closed_by=by, updated_at=now
        )
        await self._store.save_debrief(closed)
        log.info("debrief closed", office_id=closed.office_id, debrief_id=debrief_id, by=by)
        return replace(view, debrief=closed)

    async def _row(self, debrief_id: str) -> DebriefRow:
        row = await self._store.debrief(debrief_id)
        if row is None:
            raise NotFound(f"debrief {debrief_id!r}")
        return row

    async def _view(
        self, row: DebriefRow, visits: dict[str, OutreachRow] | None = None
    ) -> DebriefView:
        alarm = await self._alarms.alarm(row.alarm_id)
        aftercare = tuple(await self._store.aftercare(row.debrief_id))
        visits = await self._visits(row.office_id) if visits is None else visits
        return DebriefView(row, alarm, aftercare, visits.get(row.alarm_id))

    async def _visits(self, office_id: str) -> dict[str, OutreachRow]:
        """The office's outreach sessions that raised an alarm, by alarm: the visit comes into
        that alarm's debrief with its planned place, times and the worker's evaluation after it
        (req. 37), so the review starts from what the worker said."""
        sessions = await self._store.sessions(office_id)
        return {s.alarm_id: s for s in sessions if s.alarm_id is not None}
