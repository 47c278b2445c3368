"""LearningStore on SQLAlchemy, beside the alarm log on the same engine and migrations (0004).

Why here: the learning tables only read the `alarm` projection (statistics, lazily created
debriefs) and never touch `alarm_event`, so the hash chain stays exactly as the dispatcher wrote
it; the retention purge blanks free text in these tables only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import make_engine, writer
from app.adapters.db.learning.cases import CaseRecords
from app.adapters.db.learning.records import DrillRecords
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core.learning.terms import SessionStatus
from app.service.clock import SystemClock
from app.service.learning.ports import LearningStore, PurgeCounts
from app.service.learning.retention import Retention
from app.service.ports import AlarmSummary

_WITH_ROWS = (t.drill, t.drill_cadence, t.office_settings, t.debrief, t.incident)


class SqlAlchemyLearningStore(DrillRecords, CaseRecords):
    """The LearningStore port (app.service.learning.ports); the engine is the alarm store's."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    async def alarms_between(
        self, office_id: str, start: datetime, end: datetime
    ) -> list[AlarmSummary]:
        a = t.alarm.c
        columns = [a[name] for name in AlarmSummary.__dataclass_fields__]  # not the chain's seal
        query = (
            select(*columns)
            .where(a.office_id == office_id, a.raised_at >= t.as_utc(start))
            .where(a.raised_at < t.as_utc(end))
            .order_by(a.raised_at, a.alarm_id)
        )
        async with self._engine.connect() as conn:
            return [AlarmSummary(**r._asdict()) for r in await conn.execute(query)]

    async def office_ids(self) -> set[str]:
        parts = [select(table.c.office_id) for table in (*_WITH_ROWS, t.outreach_session)]
        async with self._engine.connect() as conn:
            return set((await conn.execute(union(*parts))).scalars())

    async def purge_free_text(self, office_id: str, before: datetime, at: datetime) -> PurgeCounts:
        before, at = t.as_utc(before), t.as_utc(at)
        async with self._writer.begin() as conn:
            return PurgeCounts(
                debriefs=await _purge_debriefs(conn, office_id, before, at),
                incidents=await _purge_incidents(conn, office_id, before, at),
                outreach=await _purge_outreach(conn, office_id, before, at),
                drills=await _purge_drills(conn, office_id, before, at),
            )


async def _purge_debriefs(
    conn: AsyncConnection, office_id: str, before: datetime, at: datetime
) -> int:
    d = t.debrief.c
    done = await conn.execute(
        update(t.debrief)
        .where(d.office_id == office_id, d.created_at < before, d.purged_at.is_(None))
        .values(what_happened="", what_we_learn="", what_we_change="", purged_at=at)
    )
    return int(done.rowcount)


async def _purge_incidents(
    conn: AsyncConnection, office_id: str, before: datetime, at: datetime
) -> int:
    i = t.incident.c
    done = await conn.execute(
        update(t.incident)
        .where(i.office_id == office_id, i.at < before, i.purged_at.is_(None))
        .values(note=None, purged_at=at)
    )
    return int(done.rowcount)


async def _purge_outreach(
    conn: AsyncConnection, office_id: str, before: datetime, at: datetime
) -> int:
    s = t.outreach_session.c
    done = await conn.execute(
        update(t.outreach_session)
        .where(s.office_id == office_id, s.started_at < before, s.purged_at.is_(None))
        .where(s.status != SessionStatus.ACTIVE.value)
        .values(place="", note=None, purged_at=at)
    )
    return int(done.rowcount)


async def _purge_drills(
    conn: AsyncConnection, office_id: str, before: datetime, at: datetime
) -> int:
    d = t.drill.c
    done = await conn.execute(
        update(t.drill)
        .where(d.office_id == office_id, d.started_at < before, d.purged_at.is_(None))
        .values(note=None, evaluation=None, purged_at=at)
    )
    return int(done.rowcount)


async def purge_database(url: str) -> dict[str, PurgeCounts]:
    """`rollekort db purge`: every office's free text past its retention, blanked now."""
    engine = make_engine(url)
    try:
        alarms = SqlAlchemyAlarmStore(engine)
        return await Retention(SqlAlchemyLearningStore(engine), SystemClock(), alarms).purge()
    finally:
        await engine.dispose()


if TYPE_CHECKING:
    _implements_the_port: type[LearningStore] = SqlAlchemyLearningStore
