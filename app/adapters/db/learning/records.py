"""The drill, cadence, office-settings and incident half of the learning store, on SQLAlchemy.

A mixin of `SqlAlchemyLearningStore` (app.adapters.db.learning.store), split out to keep each module
readable; settings are upserts keyed by office, drills and incidents plain rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import Writer
from app.adapters.db.learning import rows
from app.service.learning.ports import DrillRow, IncidentRow


class StoreBase:
    _engine: AsyncEngine
    _writer: Writer

    async def _upsert(self, table: Table, office_id: str, values: dict[str, Any]) -> None:
        """Update the office's row, or insert it; a concurrent insert makes us update after all."""
        key = table.c.office_id == office_id
        for _attempt in range(2):
            try:
                async with self._writer.begin() as conn:
                    done = await conn.execute(update(table).where(key).values(values))
                    if done.rowcount == 0:
                        await conn.execute(insert(table).values(office_id=office_id, **values))
                return
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save {table.name} for {office_id!r}")


class DrillRecords(StoreBase):
    async def add_drill(self, row: DrillRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(insert(t.drill).values(rows.values(row)))

    async def save_drill(self, row: DrillRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(
                update(t.drill).where(t.drill.c.drill_id == row.drill_id).values(rows.values(row))
            )

    async def drill(self, drill_id: str) -> DrillRow | None:
        query = select(t.drill).where(t.drill.c.drill_id == drill_id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).first()
        return None if found is None else rows.drill(found._asdict())

    async def drills(self, office_id: str) -> list[DrillRow]:
        d = t.drill.c
        query = select(t.drill).where(d.office_id == office_id).order_by(d.started_at, d.drill_id)
        async with self._engine.connect() as conn:
            return [rows.drill(r._asdict()) for r in await conn.execute(query)]

    async def unended_drills(self) -> list[DrillRow]:
        d = t.drill.c
        query = select(t.drill).where(d.ended_at.is_(None)).order_by(d.started_at)
        async with self._engine.connect() as conn:
            return [rows.drill(r._asdict()) for r in await conn.execute(query)]

    async def set_cadence(self, office_id: str, every_months: int, at: datetime, by: str) -> None:
        values = {"every_months": every_months, "updated_at": t.as_utc(at), "updated_by": by}
        await self._upsert(t.drill_cadence, office_id, values)

    async def cadence(self, office_id: str) -> int | None:
        c = t.drill_cadence.c
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(c.every_months).where(c.office_id == office_id))
        return None if found is None else int(found)

    async def set_retention(self, office_id: str, days: int, at: datetime, by: str) -> None:
        values = {"free_text_days": days, "updated_at": t.as_utc(at), "updated_by": by}
        await self._upsert(t.office_settings, office_id, values)

    async def retention(self) -> dict[str, int]:
        s = t.office_settings.c
        async with self._engine.connect() as conn:
            found = await conn.execute(select(s.office_id, s.free_text_days))
            return {r.office_id: int(r.free_text_days) for r in found}

    async def add_incident(self, row: IncidentRow) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(insert(t.incident).values(rows.values(row)))

    async def incidents(self, office_id: str, start: datetime, end: datetime) -> list[IncidentRow]:
        i = t.incident.c
        query = (
            select(t.incident)
            .where(i.office_id == office_id, i.at >= t.as_utc(start), i.at < t.as_utc(end))
            .order_by(i.at, i.incident_id)
        )
        async with self._engine.connect() as conn:
            return [rows.incident(r._asdict()) for r in await conn.execute(query)]
