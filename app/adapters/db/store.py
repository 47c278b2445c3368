"""AlarmStore on SQLAlchemy: each alarm's timeline as an append-only, hash-chained event log.

Why this shape: the events are the alarm's record (architecture decision 2), so one `append` is one
transaction that records the press key, chains the new events onto the last one and rewrites the
`alarm` projection. A redelivered press fails on the press key and takes the whole transaction
with it, so a duplicate can never leave half an alarm behind. The hash chain (`EventRow`,
`chain_intact`) is plain Python so the in-memory fake chains exactly the same way.

Free text (`FREE_TEXT_FIELDS`) enters the hash as its own sha256 digest, not as the text, so the
retention purge can blank it (`redact_free_text`) and keep the digest beside it in the row: the
chain still verifies, and a changed digest, text or any other field is still detected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import writing
from app.core import events as ev
from app.core.alarm import AlarmStatus
from app.core.records import JsonValue, from_record, to_record
from app.service.ports import AlarmStore, AlarmSummary, DuplicatePress, PressKey, StoredEvent

GENESIS_HASH = ""

# The free-text field of each event type that has one: what a person typed on the handset.
FREE_TEXT_FIELDS: dict[str, str] = {
    "HelpRequested": "text",
    "RoleDeclined": "reason",
    "AllClearGiven": "note",
}
DIGEST_SUFFIX = "_sha256"  # a redacted row keeps `<field>_sha256` beside the blanked field


def free_text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def hashed_data(type_name: str, data: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """`data` as the chain hashes it: the free-text field as its digest (the stored one once the
    text is redacted; None stays None), without the stored digest key."""
    field = FREE_TEXT_FIELDS.get(type_name)
    if field is None:
        return data
    hashed = {k: v for k, v in data.items() if k != field + DIGEST_SUFFIX}
    text = data.get(field)
    hashed[field] = free_text_digest(text) if text is not None else data.get(field + DIGEST_SUFFIX)
    return hashed


def chain_hash(prev_hash: str, body: dict[str, JsonValue]) -> str:
    """sha256 hex of the previous hash followed by the canonical JSON of this row's content.

    `body` is `EventRow.content()`: its `data` has any free text already replaced by its digest.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class EventRow:
    """One `alarm_event` row: an event as a record, with its place and link in the chain."""

    alarm_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, JsonValue]
    prev_hash: str
    hash: str

    @classmethod
    def chained(cls, alarm_id: str, seq: int, event: ev.Event, prev_hash: str) -> EventRow:
        type_name, data = to_record(event)
        at = t.as_utc(event.at)
        row = cls(alarm_id, seq, type_name, at, event.actor, data, prev_hash, hash="")
        return replace(row, hash=row.expected_hash())

    def content(self) -> dict[str, JsonValue]:
        """What the hash covers: the row with its free text as a digest (`hashed_data`)."""
        return self._content(hashed_data(self.type, self.data))

    def expected_hash(self) -> str:
        return chain_hash(self.prev_hash, self.content())

    def hash_matches(self) -> bool:
        """The stored hash is this row's; rows written before free text was hashed as a digest
        (text still in place, never redacted) are checked by that older recipe."""
        if self.hash == self.expected_hash():
            return True
        field = FREE_TEXT_FIELDS.get(self.type)
        legacy = field is not None and field + DIGEST_SUFFIX not in self.data
        return legacy and self.hash == chain_hash(self.prev_hash, self._content(self.data))

    def redacted(self) -> EventRow | None:
        """This row with its free text blanked and its digest kept, or None when there is no text
        to blank or the row does not verify by the digest recipe (a legacy or altered row is left
        as it is, so a redaction never makes a row verify that did not)."""
        field = FREE_TEXT_FIELDS.get(self.type)
        if field is None or self.data.get(field) is None or self.hash != self.expected_hash():
            return None
        digest = free_text_digest(self.data[field])
        row = replace(self, data={**self.data, field: None, field + DIGEST_SUFFIX: digest})
        assert row.expected_hash() == self.hash
        return row

    def _content(self, data: dict[str, JsonValue]) -> dict[str, JsonValue]:
        return {
            "alarm_id": self.alarm_id,
            "seq": self.seq,
            "type": self.type,
            "at": t.as_utc(self.at).isoformat(),
            "actor": self.actor,
            "data": data,
        }

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def stored(self) -> StoredEvent:
        event = from_record(self.type, self.at, self.actor, self.data)
        return StoredEvent(self.alarm_id, self.seq, event, self.hash)


def chain_rows(
    alarm_id: str, events: Sequence[ev.Event], last_seq: int, last_hash: str
) -> list[EventRow]:
    """The rows for `events`, numbered and chained after the alarm's last row."""
    rows: list[EventRow] = []
    for offset, event in enumerate(events, start=1):
        prev = rows[-1].hash if rows else last_hash
        rows.append(EventRow.chained(alarm_id, last_seq + offset, event, prev))
    return rows


def stored_as_given(rows: Sequence[EventRow], events: Sequence[ev.Event]) -> list[StoredEvent]:
    """What `append` returns: the events as the caller gave them, with their place and hash."""
    return [StoredEvent(r.alarm_id, r.seq, e, r.hash) for r, e in zip(rows, events, strict=True)]


def chain_intact(rows: Iterable[EventRow]) -> bool:
    """True if the rows number 1.. without gaps, each links to the one before and none changed."""
    prev_hash = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        if row.seq != seq or row.prev_hash != prev_hash or not row.hash_matches():
            return False
        prev_hash = row.hash
    return True


def refuse_naive_times(alarm: AlarmSummary) -> None:
    """Raise ValueError before anything is written, rather than halfway through the transaction."""
    t.as_utc(alarm.raised_at)
    if alarm.closed_at is not None:
        t.as_utc(alarm.closed_at)


def press_received_at(events: Sequence[ev.Event]) -> datetime:
    """When a press arrived: the service clock's time on the first event it produced."""
    return events[0].at if events else datetime.now(UTC)


class _PressTaken(Exception):
    """The press key row already exists; raised inside the transaction so it rolls back."""


class SqlAlchemyAlarmStore:
    """The AlarmStore port (app.service.ports) on SQLite or PostgreSQL, migrated by Alembic."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(
        self,
        alarm: AlarmSummary,
        events: Sequence[ev.Event],
        press: PressKey | None = None,
    ) -> list[StoredEvent]:
        refuse_naive_times(alarm)
        try:
            async with writing(self._engine) as conn:
                rows = await _append(conn, alarm, events, press)
        except _PressTaken as taken:
            assert press is not None
            raise DuplicatePress(press, await self._press_alarm_id(press)) from taken
        return stored_as_given(rows, events)

    async def events(self, alarm_id: str) -> list[StoredEvent]:
        return [row.stored() for row in await self._event_rows(alarm_id)]

    async def verify_chain(self, alarm_id: str) -> bool:
        """Recompute the alarm's hash chain; False if any row was changed, removed or reordered."""
        return chain_intact(await self._event_rows(alarm_id))

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
            redacted = [r for r in (row.redacted() for row in rows) if r is not None]
            for row in redacted:
                await conn.execute(
                    update(t.alarm_event)
                    .where(e.alarm_id == row.alarm_id, e.seq == row.seq)
                    .values(data=row.data)
                )
        return len(redacted)

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
        query = select(p.device_id, p.seq, p.device_ts, p.alarm_id).where(
            p.received_at >= since, p.alarm_id.is_not(None)
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return {PressKey(r.device_id, r.seq, r.device_ts): r.alarm_id for r in rows}

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


async def _append(
    conn: AsyncConnection, alarm: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None
) -> list[EventRow]:
    if press is not None:
        await _insert_press(conn, press, alarm.alarm_id, press_received_at(events))
    last_seq, last_hash = await _lock_and_read_last(conn, alarm.alarm_id)
    rows = chain_rows(alarm.alarm_id, events, last_seq, last_hash)
    if rows:
        await conn.execute(insert(t.alarm_event), [row.values() for row in rows])
    await _upsert_alarm(conn, alarm)
    return rows


async def _insert_press(
    conn: AsyncConnection, key: PressKey, alarm_id: str, received_at: datetime
) -> None:
    values = {"device_id": key.device_id, "seq": key.seq, "device_ts": key.device_ts}
    try:
        await conn.execute(
            insert(t.press).values(alarm_id=alarm_id, received_at=received_at, **values)
        )
    except IntegrityError as exc:
        raise _PressTaken from exc


async def _lock_and_read_last(conn: AsyncConnection, alarm_id: str) -> tuple[int, str]:
    """Lock the alarm row (PostgreSQL; SQLite holds its write lock already), then read its tail.

    Locking before reading serialises concurrent appends to one alarm, so each sees the last row.
    """
    lock = select(t.alarm.c.alarm_id).where(t.alarm.c.alarm_id == alarm_id).with_for_update()
    await conn.execute(lock)
    e = t.alarm_event.c
    tail = select(e.seq, e.hash).where(e.alarm_id == alarm_id).order_by(e.seq.desc()).limit(1)
    row = (await conn.execute(tail)).first()
    return (0, GENESIS_HASH) if row is None else (row.seq, row.hash)


async def _upsert_alarm(conn: AsyncConnection, alarm: AlarmSummary) -> None:
    values = _alarm_values(alarm)
    done = await conn.execute(
        update(t.alarm).where(t.alarm.c.alarm_id == alarm.alarm_id).values(values)
    )
    if done.rowcount == 0:
        await conn.execute(insert(t.alarm).values(alarm_id=alarm.alarm_id, **values))


def _alarm_values(alarm: AlarmSummary) -> dict[str, Any]:
    return {
        "office_id": alarm.office_id,
        "device_id": alarm.device_id,
        "location_id": alarm.location_id,
        "status": alarm.status,
        "level": alarm.level,
        "mode": alarm.mode,
        "raised_at": alarm.raised_at,
        "closed_at": alarm.closed_at,
        "rolecard_version": alarm.rolecard_version,
    }


def _summary(row: Row[Any]) -> AlarmSummary:
    return AlarmSummary(**row._asdict())


def _press_is(key: PressKey) -> tuple[Any, ...]:
    p = t.press.c
    return (p.device_id == key.device_id, p.seq == key.seq, p.device_ts == key.device_ts)


if TYPE_CHECKING:
    _implements_the_port: type[AlarmStore] = SqlAlchemyAlarmStore
