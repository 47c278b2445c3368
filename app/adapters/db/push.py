"""SubscriptionStore (app.service.push) on SQLAlchemy: a phone's push subscription and its last
receipt survive a restart, so it counts as reachable before its page opens again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import writer
from app.service.push import Subscription

c = t.push_subscription.c


class SqlAlchemySubscriptionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    async def save(self, sub: Subscription, at: datetime) -> None:
        """One subscription per handset: a new one replaces the old (a reinstalled app)."""
        async with self._writer.begin() as conn:
            where = (c.office_id == sub.office_id) & (c.handset_id == sub.handset_id)
            await conn.execute(delete(t.push_subscription).where(where))
            await conn.execute(
                insert(t.push_subscription).values(
                    office_id=sub.office_id,
                    handset_id=sub.handset_id,
                    person_id=sub.person_id,
                    endpoint=sub.endpoint,
                    p256dh=sub.p256dh,
                    auth=sub.auth,
                    created_at=t.as_utc(at),
                )
            )

    async def remove(self, office_id: str, handset_id: str) -> None:
        async with self._writer.begin() as conn:
            where = (c.office_id == office_id) & (c.handset_id == handset_id)
            await conn.execute(delete(t.push_subscription).where(where))

    async def receipt(self, office_id: str, handset_id: str, at: datetime) -> None:
        async with self._writer.begin() as conn:
            where = (c.office_id == office_id) & (c.handset_id == handset_id)
            await conn.execute(
                update(t.push_subscription).where(where).values(last_receipt_at=t.as_utc(at))
            )

    async def all(self) -> list[tuple[Subscription, datetime | None]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(t.push_subscription))).all()
        return [
            (
                Subscription(r.office_id, r.handset_id, r.person_id, r.endpoint, r.p256dh, r.auth),
                r.last_receipt_at,
            )
            for r in rows
        ]
