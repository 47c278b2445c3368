"""Incidents without an alarm, because verbal abuse and threats go unreported otherwise.

Report 4.4: when only alarms are counted, verbal incidents go unreported; they are logged here
and counted on their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from app.core.learning.terms import IncidentKind
from app.service.clock import Clock
from app.service.learning.ports import IncidentRow, Invalid, LearningStore, new_id
from app.service.offices import OfficeDirectory

log = structlog.get_logger(__name__)
CLOCK_SKEW = timedelta(minutes=5)


class Incidents:
    def __init__(self, store: LearningStore, offices: OfficeDirectory, clock: Clock) -> None:
        self._store = store
        self._offices = offices
        self._clock = clock

    async def log(
        self,
        office_id: str,
        kind: IncidentKind,
        at: datetime,
        by: str,
        location_id: str | None = None,
        note: str | None = None,
    ) -> IncidentRow:
        now = self._clock.now()
        if at > now + CLOCK_SKEW:
            raise Invalid("at_in_future", "an incident is logged after it happened")
        office = self._offices.offices.get(office_id)
        if location_id is not None and (office is None or location_id not in office.locations):
            raise Invalid("unknown_location", f"the office has no location {location_id!r}")
        row = IncidentRow(
            incident_id=new_id("in"),
            office_id=office_id,
            kind=kind,
            at=at,
            recorded_at=now,
            recorded_by=by,
            location_id=location_id,
            note=note,
        )
        await self._store.add_incident(row)
        log.info("incident logged", office_id=office_id, kind=kind.value)
        return row

    async def between(self, office_id: str, start: datetime, end: datetime) -> list[IncidentRow]:
        return await self._store.incidents(office_id, start, end)
