"""FakeLearningStore: the LearningStore port in memory, for service tests without a database.

Rows go through the same codec as the SQL store (`learning_rows`), so times come back in UTC and
enums as enums exactly as they would from SQLite or PostgreSQL; the alarm projection is read
from a FakeAlarmStore, as the SQL store reads the `alarm` table.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.adapters.db.learning import rows
from app.adapters.db.tables import as_utc
from app.core.alarm import AlarmStatus
from app.core.learning.terms import SessionStatus
from app.core.office import AlarmMode
from app.service.learning.ports import (
    AftercareRow,
    DebriefRow,
    DrillRow,
    IncidentRow,
    LearningStore,
    OutreachRow,
    PurgeCounts,
)
from app.service.ports import AlarmSummary
from tests.fakes.store import FakeAlarmStore


class FakeLearningStore:
    def __init__(self, alarms: FakeAlarmStore | None = None) -> None:
        self.alarms = alarms or FakeAlarmStore()
        self.drill_rows: dict[str, dict[str, Any]] = {}
        self.cadences: dict[str, int] = {}
        self.settings: dict[str, int] = {}
        self.debrief_rows: dict[str, dict[str, Any]] = {}
        self.aftercare_rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.incident_rows: dict[str, dict[str, Any]] = {}
        self.session_rows: dict[str, dict[str, Any]] = {}

    # drills and settings
    async def add_drill(self, row: DrillRow) -> None:
        assert row.drill_id not in self.drill_rows
        self.drill_rows[row.drill_id] = rows.values(row)

    async def save_drill(self, row: DrillRow) -> None:
        if row.drill_id in self.drill_rows:
            self.drill_rows[row.drill_id] = rows.values(row)

    async def drill(self, drill_id: str) -> DrillRow | None:
        found = self.drill_rows.get(drill_id)
        return None if found is None else rows.drill(found)

    async def drills(self, office_id: str) -> list[DrillRow]:
        mine = [rows.drill(d) for d in self.drill_rows.values() if d["office_id"] == office_id]
        return sorted(mine, key=lambda d: (d.started_at, d.drill_id))

    async def unended_drills(self) -> list[DrillRow]:
        found = [rows.drill(d) for d in self.drill_rows.values() if d["ended_at"] is None]
        return sorted(found, key=lambda d: d.started_at)

    async def set_cadence(self, office_id: str, every_months: int, at: datetime, by: str) -> None:
        self.cadences[office_id] = every_months

    async def cadence(self, office_id: str) -> int | None:
        return self.cadences.get(office_id)

    async def set_retention(self, office_id: str, days: int, at: datetime, by: str) -> None:
        self.settings[office_id] = days

    async def retention(self) -> dict[str, int]:
        return dict(self.settings)

    # debriefs
    async def add_debrief(self, row: DebriefRow) -> bool:
        taken = {d["alarm_id"] for d in self.debrief_rows.values()}
        if row.debrief_id in self.debrief_rows or row.alarm_id in taken:
            return False
        self.debrief_rows[row.debrief_id] = rows.values(row)
        return True

    async def save_debrief(self, row: DebriefRow) -> None:
        if row.debrief_id in self.debrief_rows:
            self.debrief_rows[row.debrief_id] = rows.values(row)

    async def debrief(self, debrief_id: str) -> DebriefRow | None:
        found = self.debrief_rows.get(debrief_id)
        return None if found is None else rows.debrief(found)

    async def debriefs(self, office_id: str) -> list[DebriefRow]:
        mine = [rows.debrief(d) for d in self.debrief_rows.values() if d["office_id"] == office_id]
        return sorted(mine, key=lambda d: d.created_at, reverse=True)

    async def add_aftercare(self, row: AftercareRow) -> None:
        self.aftercare_rows[(row.debrief_id, row.person_id, row.support.value)] = rows.values(row)

    async def aftercare(self, debrief_id: str) -> list[AftercareRow]:
        mine = [rows.aftercare(a) for k, a in self.aftercare_rows.items() if k[0] == debrief_id]
        return sorted(mine, key=lambda a: (a.person_id, a.offered_at, a.support.value))

    async def closed_real_alarms_without_debrief(self, office_id: str) -> list[str]:
        done = {d["alarm_id"] for d in self.debrief_rows.values()}
        found = [
            a
            for a in self.alarms.summaries.values()
            if a.office_id == office_id
            and a.mode == AlarmMode.REAL.value
            and a.status != AlarmStatus.OPEN.value
            and a.alarm_id not in done
        ]
        return [a.alarm_id for a in sorted(found, key=lambda a: (a.raised_at, a.alarm_id))]

    # incidents
    async def add_incident(self, row: IncidentRow) -> None:
        self.incident_rows[row.incident_id] = rows.values(row)

    async def incidents(self, office_id: str, start: datetime, end: datetime) -> list[IncidentRow]:
        found = [
            rows.incident(i)
            for i in self.incident_rows.values()
            if i["office_id"] == office_id and as_utc(start) <= i["at"] < as_utc(end)
        ]
        return sorted(found, key=lambda i: (i.at, i.incident_id))

    # outreach
    async def add_session(self, row: OutreachRow) -> None:
        self.session_rows[row.session_id] = rows.values(row)

    async def save_session(self, row: OutreachRow) -> None:
        if row.session_id in self.session_rows:
            self.session_rows[row.session_id] = rows.values(row)

    async def session(self, session_id: str) -> OutreachRow | None:
        found = self.session_rows.get(session_id)
        return None if found is None else rows.session(found)

    async def sessions(self, office_id: str, limit: int = 100) -> list[OutreachRow]:
        mine = [rows.session(s) for s in self.session_rows.values() if s["office_id"] == office_id]
        return sorted(mine, key=lambda s: (s.started_at, s.session_id), reverse=True)[:limit]

    async def active_sessions(self) -> list[OutreachRow]:
        found = [
            rows.session(s)
            for s in self.session_rows.values()
            if s["status"] == SessionStatus.ACTIVE.value
        ]
        return sorted(found, key=lambda s: (s.started_at, s.session_id))

    # alarms, retention
    async def alarms_between(
        self, office_id: str, start: datetime, end: datetime
    ) -> list[AlarmSummary]:
        found = [
            a
            for a in self.alarms.summaries.values()
            if a.office_id == office_id and start <= a.raised_at < end
        ]
        return sorted(found, key=lambda a: (a.raised_at, a.alarm_id))

    async def office_ids(self) -> set[str]:
        tables = (self.drill_rows, self.debrief_rows, self.incident_rows, self.session_rows)
        found = {r["office_id"] for table in tables for r in table.values()}
        return found | set(self.cadences) | set(self.settings)

    async def purge_free_text(self, office_id: str, before: datetime, at: datetime) -> PurgeCounts:
        before, at = as_utc(before), as_utc(at)

        def purge(table: dict[Any, dict[str, Any]], when: str, blank: dict[str, Any]) -> int:
            n = 0
            for r in table.values():
                if r["office_id"] == office_id and r[when] < before and r["purged_at"] is None:
                    if r.get("status") == SessionStatus.ACTIVE.value and "place" in r:
                        continue
                    r.update(blank, purged_at=at)
                    n += 1
            return n

        texts = {"what_happened": "", "what_we_learn": "", "what_we_change": ""}
        return PurgeCounts(
            debriefs=purge(self.debrief_rows, "created_at", texts),
            incidents=purge(self.incident_rows, "at", {"note": None}),
            outreach=purge(self.session_rows, "started_at", {"place": "", "note": None}),
            drills=purge(self.drill_rows, "started_at", {"note": None, "evaluation": None}),
        )


if TYPE_CHECKING:
    _implements_the_port: type[LearningStore] = FakeLearningStore
