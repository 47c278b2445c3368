"""PlaceStore (app.service.ports) on SQLAlchemy: check-ins and checked-out worn triggers survive
a restart and reach a standby that takes over, so the presser of a fixed button stays known."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import writing
from app.core.whereabouts import Carry, CheckIn, Whereabouts

ins = t.place_check_in.c
car = t.trigger_carry.c


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else t.as_utc(at)


class SqlAlchemyPlaceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put_check_in(self, office_id: str, entry: CheckIn) -> None:
        async with writing(self._engine) as conn:
            mine = (ins.office_id == office_id) & (ins.person_id == entry.person_id)
            await conn.execute(delete(t.place_check_in).where(mine))
            await conn.execute(
                insert(t.place_check_in).values(
                    office_id=office_id,
                    person_id=entry.person_id,
                    location_id=entry.location_id,
                    since=t.as_utc(entry.since),
                    until=_utc(entry.until),
                )
            )

    async def drop_check_in(self, office_id: str, person_id: str) -> None:
        async with writing(self._engine) as conn:
            mine = (ins.office_id == office_id) & (ins.person_id == person_id)
            await conn.execute(delete(t.place_check_in).where(mine))

    async def put_carry(self, office_id: str, entry: Carry) -> None:
        async with writing(self._engine) as conn:
            this = (car.office_id == office_id) & (car.device_id == entry.device_id)
            await conn.execute(delete(t.trigger_carry).where(this))
            await conn.execute(
                insert(t.trigger_carry).values(
                    office_id=office_id,
                    device_id=entry.device_id,
                    person_id=entry.person_id,
                    location_id=entry.location_id,
                    since=t.as_utc(entry.since),
                    until=_utc(entry.until),
                )
            )

    async def drop_carry(self, office_id: str, device_id: str) -> None:
        async with writing(self._engine) as conn:
            this = (car.office_id == office_id) & (car.device_id == device_id)
            await conn.execute(delete(t.trigger_carry).where(this))

    async def current(self, now: datetime) -> dict[str, Whereabouts]:
        """What holds at `now`, by office; the ended entries are deleted first (a forgotten
        check-out expires with the shift, here as in memory)."""
        at = t.as_utc(now)
        async with writing(self._engine) as conn:
            await conn.execute(delete(t.place_check_in).where(ins.until <= at))
            await conn.execute(delete(t.trigger_carry).where(car.until <= at))
            checked = (await conn.execute(select(t.place_check_in))).all()
            carried = (await conn.execute(select(t.trigger_carry))).all()
        check_ins: defaultdict[str, list[CheckIn]] = defaultdict(list)
        carries: defaultdict[str, list[Carry]] = defaultdict(list)
        for r in checked:
            check_ins[r.office_id].append(CheckIn(r.person_id, r.location_id, r.since, r.until))
        for r in carried:
            carries[r.office_id].append(
                Carry(r.device_id, r.person_id, r.location_id, r.since, r.until)
            )
        return {
            office: Whereabouts(tuple(check_ins[office]), tuple(carries[office]))
            for office in sorted({*check_ins, *carries})
        }
