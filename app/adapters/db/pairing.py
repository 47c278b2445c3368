"""HandsetStore on SQLAlchemy: paired handsets beside the alarm log, so a pairing survives restarts.

Why this shape: pairing is one conditional UPDATE on the code's digest inside a write
transaction (SQLite's write lock taken at BEGIN; on PostgreSQL the row lock makes a second
UPDATE see the code already cleared), so a code can be traded for a token exactly once.
"""

from __future__ import annotations

import builtins
from dataclasses import asdict, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import writer
from app.service.pairing import (
    ExpiredCode,
    HandsetStore,
    HandsetTaken,
    PairedRow,
    UnknownCode,
    UnknownHandset,
)

p = t.paired_handset.c
_TIMES = ("code_expires_at", "created_at", "paired_at", "revoked_at")


class SqlAlchemyHandsetStore:
    """The HandsetStore port (app.service.pairing) on the service's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    async def create(self, row: PairedRow) -> None:
        values = asdict(row)
        values.update({k: t.as_utc(values[k]) for k in _TIMES if values[k] is not None})
        try:
            async with self._writer.begin() as conn:
                await conn.execute(insert(t.paired_handset).values(**values))
        except IntegrityError as err:
            raise HandsetTaken("handset id or code already stored") from err

    async def pair(self, code_sha256: str, token_sha256: str, at: datetime) -> PairedRow:
        at = t.as_utc(at)
        async with self._writer.begin() as conn:
            query = select(t.paired_handset).where(p.pairing_code_sha256 == code_sha256)
            found = (await conn.execute(query)).first()
            if found is None or found.revoked_at is not None:
                raise UnknownCode()
            if found.code_expires_at <= at:
                raise ExpiredCode()
            done = await conn.execute(
                update(t.paired_handset)
                .where(
                    p.office_id == found.office_id,
                    p.handset_id == found.handset_id,
                    p.pairing_code_sha256 == code_sha256,
                    p.revoked_at.is_(None),
                )
                .values(token_sha256=token_sha256, pairing_code_sha256=None, paired_at=at)
            )
            if done.rowcount != 1:
                raise UnknownCode()  # another request used it first
        return replace(
            _row(found), token_sha256=token_sha256, pairing_code_sha256=None, paired_at=at
        )

    async def revoke(self, office_id: str, handset_id: str, at: datetime, by: str) -> PairedRow:
        at = t.as_utc(at)
        key = (p.office_id == office_id, p.handset_id == handset_id)
        async with self._writer.begin() as conn:
            found = (await conn.execute(select(t.paired_handset).where(*key))).first()
            if found is None:
                raise UnknownHandset(office_id, handset_id)
            if found.revoked_at is None:
                await conn.execute(
                    update(t.paired_handset)
                    .where(*key)
                    .values(revoked_at=at, revoked_by=by, pairing_code_sha256=None)
                )
            again = (await conn.execute(select(t.paired_handset).where(*key))).one()
        return _row(again)

    async def get(self, office_id: str, handset_id: str) -> PairedRow | None:
        query = select(t.paired_handset).where(p.office_id == office_id, p.handset_id == handset_id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).first()
        return None if found is None else _row(found)

    async def list(self, office_id: str) -> builtins.list[PairedRow]:
        query = (
            select(t.paired_handset)
            .where(p.office_id == office_id)
            .order_by(p.created_at.desc(), p.handset_id)
        )
        async with self._engine.connect() as conn:
            return [_row(r) for r in await conn.execute(query)]

    async def active(self) -> builtins.list[PairedRow]:
        query = (
            select(t.paired_handset)
            .where(p.token_sha256.is_not(None), p.revoked_at.is_(None))
            .order_by(p.office_id, p.handset_id)
        )
        async with self._engine.connect() as conn:
            return [_row(r) for r in await conn.execute(query)]


def _row(row: Row[Any]) -> PairedRow:
    return PairedRow(**row._asdict())


if TYPE_CHECKING:
    _implements_the_port: type[HandsetStore] = SqlAlchemyHandsetStore
