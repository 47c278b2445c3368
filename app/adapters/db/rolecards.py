"""VersionStore on SQLAlchemy: role-card versions and acknowledgements beside the alarm log.

Why this shape: activating a version is one transaction that retires the previous one, so the
database never holds two active cards for an office (a partial unique index backs that up).
Numbers are `max + 1` per office, read under a lock: SQLite's write lock, taken at BEGIN, or on
PostgreSQL a transaction-scoped advisory lock for the office, so two uploads never pick one number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import writer
from app.service.rolecards.versions import (
    ACTIVE,
    RETIRED,
    UPLOADED,
    NewVersion,
    UnknownVersion,
    VersionRow,
    VersionStore,
)

v = t.office_version.c
a = t.rolecard_ack.c


class SqlAlchemyVersionStore:
    """The VersionStore port (app.service.rolecards.versions) on the service's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    async def add(
        self,
        office_id: str,
        content: str,
        label: str,
        at: datetime,
        by: str,
        errors: int,
        warnings: int,
    ) -> int:
        values = {
            "office_id": office_id,
            "label": label,
            "content": content,
            "uploaded_at": t.as_utc(at),
            "uploaded_by": by,
            "status": UPLOADED,
            "errors": errors,
            "warnings": warnings,
        }
        async with self._writer.begin() as conn:
            await _lock_office(conn, office_id)
            last = await conn.scalar(select(func.max(v.number)).where(v.office_id == office_id))
            number = int(last or 0) + 1
            await conn.execute(insert(t.office_version).values(number=number, **values))
        return number

    async def activate(self, office_id: str, number: int, at: datetime, by: str) -> None:
        at = t.as_utc(at)
        async with self._writer.begin() as conn:
            await _lock_office(conn, office_id)  # a concurrent activation waits, then sees ours
            query = select(v.number, v.status).where(v.office_id == office_id)
            statuses = {r.number: r.status for r in await conn.execute(query)}
            if number not in statuses:
                raise UnknownVersion(office_id, number)
            if statuses[number] == ACTIVE:
                return
            await conn.execute(
                update(t.office_version)
                .where(v.office_id == office_id, v.status == ACTIVE)
                .values(status=RETIRED)
            )
            await conn.execute(
                update(t.office_version)
                .where(v.office_id == office_id, v.number == number)
                .values(status=ACTIVE, activated_at=at, activated_by=by)
            )

    async def active(self, office_id: str) -> VersionRow | None:
        query = select(t.office_version).where(v.office_id == office_id, v.status == ACTIVE)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _version(row)

    async def history(self, office_id: str) -> list[VersionRow]:
        query = select(t.office_version).where(v.office_id == office_id).order_by(v.number.desc())
        async with self._engine.connect() as conn:
            return [_version(row) for row in await conn.execute(query)]

    async def get(self, office_id: str, number: int) -> VersionRow | None:
        query = select(t.office_version).where(v.office_id == office_id, v.number == number)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _version(row)

    async def acknowledge(self, office_id: str, person_id: str, number: int, at: datetime) -> None:
        values = {"office_id": office_id, "person_id": person_id, "number": number}
        try:
            async with self._writer.begin() as conn:
                await conn.execute(insert(t.rolecard_ack).values(at=t.as_utc(at), **values))
        except IntegrityError:
            return  # acknowledged before: the first time stands

    async def acknowledged(self, office_id: str, number: int) -> set[str]:
        query = select(a.person_id).where(a.office_id == office_id, a.number == number)
        async with self._engine.connect() as conn:
            return set((await conn.execute(query)).scalars())

    # -- start-up, every office at once (BulkSeed) -----------------------------------------

    async def actives(self) -> dict[str, VersionRow]:
        query = select(t.office_version).where(v.status == ACTIVE)
        async with self._engine.connect() as conn:
            return {row.office_id: _version(row) for row in await conn.execute(query)}

    async def active_acks(self) -> dict[str, set[str]]:
        query = select(a.office_id, a.person_id).join(
            t.office_version,
            (v.office_id == a.office_id) & (v.number == a.number) & (v.status == ACTIVE),
        )
        found: dict[str, set[str]] = {}
        async with self._engine.connect() as conn:
            for office_id, person_id in await conn.execute(query):
                found.setdefault(office_id, set()).add(person_id)
        return found

    async def seed(self, versions: Sequence[NewVersion]) -> list[VersionRow]:
        if not versions:
            return []
        offices = [n.office_id for n in versions]
        rows = []
        async with self._writer.begin() as conn:
            for office_id in sorted(set(offices)):
                await _lock_office(conn, office_id)
            last = select(v.office_id, func.max(v.number)).where(v.office_id.in_(offices))
            found = await conn.execute(last.group_by(v.office_id))
            numbers: dict[str, int] = {str(o): int(n) for o, n in found}
            await conn.execute(
                update(t.office_version)
                .where(v.office_id.in_(offices), v.status == ACTIVE)
                .values(status=RETIRED)
            )
            for n in versions:
                numbers[n.office_id] = number = numbers.get(n.office_id, 0) + 1
                at = t.as_utc(n.at)
                rows.append(
                    VersionRow(
                        n.office_id,
                        number,
                        n.label,
                        n.content,
                        at,
                        n.by,
                        ACTIVE,
                        at,
                        n.by,
                        0,
                        n.warnings,
                    )
                )
            await conn.execute(insert(t.office_version), [vars(r) for r in rows])
        return rows


async def _lock_office(conn: AsyncConnection, office_id: str) -> None:
    """Serialise writers of one office's versions until the transaction ends (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        key = f"rollekort.office_version:{office_id}"
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _version(row: Row[Any]) -> VersionRow:
    return VersionRow(**row._asdict())


if TYPE_CHECKING:
    _implements_the_port: type[VersionStore] = SqlAlchemyVersionStore
