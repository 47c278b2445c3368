"""AlarmStore on SQLAlchemy: each alarm's timeline as an append-only, hash-chained event log.

Why this shape: the events are the alarm's record (architecture decision 2), so one `append` is one
transaction that records the press key, chains the new events onto the last one, seals the new
head and rewrites the `alarm` projection. A redelivered press fails on the press key and takes the
whole transaction with it, so a duplicate can never leave half an alarm behind. The keyed chain
and its seal (`app.adapters.db.chain`) are plain Python so the in-memory fake chains the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.batch import append_batch
from app.adapters.db.chain import (
    DIGEST_SUFFIX,
    FREE_TEXT_FIELDS,
    GENESIS_HASH,
    EventRow,
    Seal,
    chain_hash,
    chain_rows,
    check_chain,
    free_text_digest,
    hashed_data,
    row_problem,
    stored_as_given,
)
from app.adapters.db.engine import writer, writing
from app.core import events as ev
from app.core.alarm import AlarmStatus
from app.service.ports import (
    AlarmStore,
    AlarmSummary,
    Append,
    ChainCheck,
    DuplicatePress,
    PressKey,
    PressRow,
    StoredEvent,
)

__all__ = [  # the chain's names, where callers found them before they had a module of their own
    "DIGEST_SUFFIX",
    "FREE_TEXT_FIELDS",
    "GENESIS_HASH",
    "EventRow",
    "SqlAlchemyAlarmStore",
    "chain_hash",
    "chain_intact",
    "chain_rows",
    "free_text_digest",
    "hashed_data",
    "stored_as_given",
]


def chain_intact(rows: Iterable[EventRow], key: bytes | None = None) -> bool:
    """True if the rows number 1.. without gaps, each links to the one before and none changed."""
    return row_problem(list(rows), key) is None


def refuse_naive_times(alarm: AlarmSummary) -> None:
    """Raise ValueError before anything is written, rather than halfway through the transaction."""
    t.as_utc(alarm.raised_at)
    if alarm.closed_at is not None:
        t.as_utc(alarm.closed_at)


def press_received_at(events: Sequence[ev.Event]) -> datetime:
    """When a press arrived: the service clock's time on the first event it produced."""
    return events[0].at if events else datetime.now(UTC)


Fence = Callable[[AsyncConnection], Awaitable[None]]
"""Run first in every append's transaction; raises (LeadershipLost) when this process may no
longer write: the fencing epoch of replicas on PostgreSQL (app.adapters.db.leadership)."""


class SqlAlchemyAlarmStore:
    """The AlarmStore port (app.service.ports) on SQLite or PostgreSQL, migrated by Alembic."""

    def __init__(
        self, engine: AsyncEngine, chain_key: bytes | None = None, fence: Fence | None = None
    ) -> None:
        """`chain_key` keys the hash chain and the seals (None: plain SHA-256, for tests);
        `fence` guards each append (None: the only writer, as on SQLite with its flock)."""
        self._engine = engine
        self._writer = writer(engine)
        self._key = chain_key
        self._fence = fence

    async def append(
        self,
        alarm: AlarmSummary,
        events: Sequence[ev.Event],
        press: PressKey | None = None,
    ) -> list[StoredEvent]:
        done = (await self.append_many([(alarm, events, press)]))[0]
        if isinstance(done, DuplicatePress):
            raise done
        return done

    async def append_many(
        self, entries: Sequence[Append]
    ) -> list[list[StoredEvent] | DuplicatePress]:
        """Several appends, in order, in ONE transaction (one fsync: the journal's group
        commit; `app.adapters.db.batch`). Each entry is what `append` does: an entry whose press
        was recorded before writes nothing and comes back as its DuplicatePress; any other error
        rolls back the whole batch. The append's transaction begins here and only here."""
        for alarm, _, _ in entries:
            refuse_naive_times(alarm)
        async with writing(self._engine) as conn:  # the one place an append's transaction begins
            if self._fence is not None:  # a replica that no longer leads writes nothing
                await self._fence(conn)
            done = await append_batch(conn, entries, self._key)
        out: list[list[StoredEvent] | DuplicatePress] = []
        for (_, events, _), rows in zip(entries, done, strict=True):
            if isinstance(rows, PressKey):
                out.append(DuplicatePress(rows, await self._press_alarm_id(rows)))
            else:
                out.append(stored_as_given(rows, events))
        return out

    async def events(self, alarm_id: str) -> list[StoredEvent]:
        return [row.stored() for row in await self._event_rows(alarm_id)]

    async def verify_chain(self, alarm_id: str) -> bool:
        """Recompute the alarm's hash chain; False if any row was changed, removed or reordered."""
        return (await self.integrity(alarm_id)).state != "broken"

    async def integrity(self, alarm_id: str) -> ChainCheck:
        a = t.alarm.c
        query = select(a.chain_length, a.chain_head, a.chain_seal).where(a.alarm_id == alarm_id)
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).first()
        rows = await self._event_rows(alarm_id)
        seal = None if found is None else Seal(*found)
        return check_chain(alarm_id, rows, self._key, seal)

    async def alarm_ids(self) -> list[str]:
        """Every alarm's id, oldest first (for `rollekort timeline verify`)."""
        query = select(t.alarm.c.alarm_id).order_by(t.alarm.c.raised_at, t.alarm.c.alarm_id)
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def redact_free_text(self, before: datetime, office_ids: Sequence[str]) -> int:
        """Blank the free text of these offices' timeline rows whose event is before `before`,
        keeping its digest so the chain still verifies. Returns how many rows were redacted."""
        e, a = t.alarm_event.c, t.alarm.c
        query = (
            select(t.alarm_event)
            .join(t.alarm, a.alarm_id == e.alarm_id)
            .where(
                a.office_id.in_(list(office_ids)),
                e.at < t.as_utc(before),
                e.type.in_(list(FREE_TEXT_FIELDS)),
            )
        )
        async with writing(self._engine) as conn:
            rows = [EventRow(**row._asdict()) for row in await conn.execute(query)]
            redacted = [r for r in (self._redacted(row) for row in rows) if r is not None]
            for row in redacted:
                await conn.execute(
                    update(t.alarm_event)
                    .where(e.alarm_id == row.alarm_id, e.seq == row.seq)
                    .values(data=row.data)
                )
        return len(redacted)

    def _redacted(self, row: EventRow) -> EventRow | None:
        """Rows of unsealed alarms were chained without the key: try that recipe as well."""
        return row.redacted(self._key) or row.redacted(None)

    async def alarm(self, alarm_id: str) -> AlarmSummary | None:
        query = select(t.alarm).where(t.alarm.c.alarm_id == alarm_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _summary(row)

    async def alarms(self, office_ids: Sequence[str], limit: int = 100) -> list[AlarmSummary]:
        query = (
            select(t.alarm)
            .where(t.alarm.c.office_id.in_(list(office_ids)))
            .order_by(t.alarm.c.raised_at.desc(), t.alarm.c.alarm_id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_summary(row) for row in await conn.execute(query)]

    async def open_alarm_ids(self) -> list[str]:
        query = (
            select(t.alarm.c.alarm_id)
            .where(t.alarm.c.status == AlarmStatus.OPEN.value)
            .order_by(t.alarm.c.raised_at, t.alarm.c.alarm_id)
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def press_keys_since(self, since: datetime) -> dict[PressKey, str]:
        p = t.press.c
        query = select(p.device_id, p.seq, p.device_ts, p.boot, p.alarm_id).where(
            p.received_at >= since, p.alarm_id.is_not(None)
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return {PressKey(r.device_id, r.seq, r.device_ts, r.boot): r.alarm_id for r in rows}

    async def presses_since(self, since: datetime) -> list[PressRow]:
        p = t.press.c
        query = select(p.device_id, p.seq, p.device_ts, p.boot, p.alarm_id, p.received_at).where(
            p.received_at >= since, p.alarm_id.is_not(None)
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return [
                PressRow(
                    PressKey(r.device_id, r.seq, r.device_ts, r.boot), r.alarm_id, r.received_at
                )
                for r in rows
            ]

    async def closed_timelines_since(self, since: datetime) -> dict[str, list[StoredEvent]]:
        """One query: the alarm table has no index on `closed_at` (no migration for it), so this
        scans the alarm rows once at start-up; their events come by the primary key."""
        e, a = t.alarm_event.c, t.alarm.c
        query = (
            select(t.alarm_event)
            .join(t.alarm, a.alarm_id == e.alarm_id)
            .where(a.closed_at.is_not(None), a.closed_at >= since)
            .order_by(e.alarm_id, e.seq)
        )
        found: dict[str, list[StoredEvent]] = {}
        async with self._engine.connect() as conn:
            for row in await conn.execute(query):
                stored = EventRow(**row._asdict()).stored()
                found.setdefault(stored.alarm_id, []).append(stored)
        return found

    async def record_button_test(self, device_id: str, seq: int, at: datetime) -> None:
        """Idempotent: a redelivered test (same device and seq) keeps the first record."""
        try:
            async with writing(self._engine) as conn:
                await conn.execute(
                    insert(t.button_test).values(device_id=device_id, seq=seq, at=at)
                )
        except IntegrityError:
            return

    async def last_button_tests(self) -> dict[str, datetime]:
        """The time of each device's latest routine test."""
        query = select(t.button_test.c.device_id, func.max(t.button_test.c.at)).group_by(
            t.button_test.c.device_id
        )
        async with self._engine.connect() as conn:
            return {device: at for device, at in await conn.execute(query)}

    async def ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self._engine.dispose()

    async def _event_rows(self, alarm_id: str) -> list[EventRow]:
        query = (
            select(t.alarm_event)
            .where(t.alarm_event.c.alarm_id == alarm_id)
            .order_by(t.alarm_event.c.seq)
        )
        async with self._engine.connect() as conn:
            return [EventRow(**row._asdict()) for row in await conn.execute(query)]

    async def _press_alarm_id(self, key: PressKey) -> str | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(t.press.c.alarm_id).where(*_press_is(key)))
        return None if found is None else str(found)


def _summary(row: Row[Any]) -> AlarmSummary:
    values = row._asdict()
    for name in ("chain_length", "chain_head", "chain_seal"):
        values.pop(name, None)
    return AlarmSummary(**values)


def _press_is(key: PressKey) -> tuple[Any, ...]:
    p = t.press.c
    return (
        p.device_id == key.device_id,
        p.seq == key.seq,
        p.device_ts == key.device_ts,
        p.boot == key.boot,
    )


if TYPE_CHECKING:
    _implements_the_port: type[AlarmStore] = SqlAlchemyAlarmStore
