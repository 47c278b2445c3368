"""The debrief, after-care and outreach half of the learning store, on SQLAlchemy.

A mixin of `SqlAlchemyLearningStore` (app.adapters.db.learning.store). One debrief per alarm is kept
by a unique constraint, so two hooks racing to create it leave one.
"""

from __future__ import annotations

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.adapters.db import tables as t
from app.adapters.db.learning import rows
from app.adapters.db.learning.records import StoreBase
from app.core.alarm import AlarmStatus
from app.core.learning.terms import SessionStatus
from app.core.office import AlarmMode
from app.service.learning.ports import AftercareRow, DebriefRow, OutreachRow

d = t.debrief.c
c = t.aftercare.c
s = t.outreach_session.c


class CaseRecords(StoreBase):
    async def add_debrief(self, row: DebriefRow) -> bool:
        try:
            async with self._writer.begin() as conn:
                await conn.execute(insert(t.debrief).values(rows.values(row)))
        except IntegrityError:
            return False
        return True

    async def save_debrief(self, row: DebriefRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(
                update(t.debrief).where(d.debrief_id == row.debrief_id).values(rows.values(row))
            )

    async def debrief(self, debrief_id: str) -> DebriefRow | None:
        query = select(t.debrief).where(d.debrief_id == debrief_id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).first()
        return None if found is None else rows.debrief(found._asdict())

    async def debriefs(self, office_id: str) -> list[DebriefRow]:
        query = select(t.debrief).where(d.office_id == office_id).order_by(d.created_at.desc())
        async with self._engine.connect() as conn:
            return [rows.debrief(r._asdict()) for r in await conn.execute(query)]

    async def add_aftercare(self, row: AftercareRow) -> None:
        values = rows.values(row)
        key = (c.debrief_id == row.debrief_id, c.person_id == row.person_id)
        same = and_(*key, c.support == row.support.value)
        change = {"offered_at": values["offered_at"], "recorded_at": values["recorded_at"]}
        for _attempt in range(2):
            try:
                async with self._writer.begin() as conn:
                    done = await conn.execute(update(t.aftercare).where(same).values(change))
                    if done.rowcount == 0:
                        await conn.execute(insert(t.aftercare).values(values))
                return
            except IntegrityError:
                continue

    async def aftercare(self, debrief_id: str) -> list[AftercareRow]:
        query = (
            select(t.aftercare)
            .where(c.debrief_id == debrief_id)
            .order_by(c.person_id, c.offered_at, c.support)
        )
        async with self._engine.connect() as conn:
            return [rows.aftercare(r._asdict()) for r in await conn.execute(query)]

    async def closed_real_alarms_without_debrief(self, office_id: str) -> list[str]:
        a = t.alarm.c
        query = (
            select(a.alarm_id)
            .where(
                a.office_id == office_id,
                a.mode == AlarmMode.REAL.value,
                a.status != AlarmStatus.OPEN.value,
                a.alarm_id.not_in(select(d.alarm_id)),
            )
            .order_by(a.raised_at, a.alarm_id)
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def add_session(self, row: OutreachRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(insert(t.outreach_session).values(rows.values(row)))

    async def save_session(self, row: OutreachRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(
                update(t.outreach_session)
                .where(s.session_id == row.session_id)
                .values(rows.values(row))
            )

    async def session(self, session_id: str) -> OutreachRow | None:
        query = select(t.outreach_session).where(s.session_id == session_id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).first()
        return None if found is None else rows.session(found._asdict())

    async def sessions(self, office_id: str, limit: int = 100) -> list[OutreachRow]:
        query = (
            select(t.outreach_session)
            .where(s.office_id == office_id)
            .order_by(s.started_at.desc(), s.session_id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [rows.session(r._asdict()) for r in await conn.execute(query)]

    async def active_sessions(self) -> list[OutreachRow]:
        query = (
            select(t.outreach_session)
            .where(s.status == SessionStatus.ACTIVE.value)
            .order_by(s.started_at, s.session_id)
        )
        async with self._engine.connect() as conn:
            return [rows.session(r._asdict()) for r in await conn.execute(query)]
