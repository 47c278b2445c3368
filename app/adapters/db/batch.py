"""A batch of appends (the journal's group commit) inside the store's one transaction, in a
handful of statements whatever its size: the press keys in one INSERT … ON CONFLICT DO NOTHING,
the alarms' rows locked and their chain ends read in two, every new event in one INSERT, the
alarm projections in one UPDATE and one INSERT.

Why: a statement is a round trip, and on a busy machine a round trip to PostgreSQL waits for the
server to be scheduled; a burst's batch of a few hundred entries at five statements each took
seconds. What each entry does is unchanged (`SqlAlchemyAlarmStore.append`): its press key
recorded (or, taken already, the entry is skipped and reported), its events chained after the
alarm's last one (keyed and sealed, or as it began before the chain was keyed), the alarm's row
holding the last entry's values and seal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.adapters.db import tables as t
from app.adapters.db.chain import GENESIS_HASH, EventRow, Seal, chain_rows, seal_of
from app.service.ports import AlarmSummary, Append, PressKey

_Tail = tuple[int, str, bool]
"""An alarm's last seq, last hash, and whether it is sealed."""


async def append_batch(
    conn: AsyncConnection, entries: Sequence[Append], key: bytes | None
) -> list[list[EventRow] | PressKey]:
    """Each entry's stored rows, or its press key if that press was recorded already."""
    taken = await _record_presses(conn, entries)
    tails, exists = await _lock_and_read_tails(conn, {alarm.alarm_id for alarm, _, _ in entries})
    out: list[list[EventRow] | PressKey] = []
    new_rows: list[EventRow] = []
    finals: dict[str, tuple[AlarmSummary, Seal | None]] = {}
    for i, (alarm, events, press) in enumerate(entries):
        if press is not None and i in taken:
            out.append(press)
            continue
        last_seq, last_hash, sealed = tails.get(alarm.alarm_id, (0, GENESIS_HASH, False))
        # an alarm from before the chain was keyed goes on unkeyed and unsealed, as it began
        keyed = sealed or last_seq == 0
        rows = chain_rows(alarm.alarm_id, events, last_seq, last_hash, key if keyed else None)
        length, head = last_seq + len(rows), rows[-1].hash if rows else last_hash
        seal = Seal(length, head, seal_of(key, alarm.alarm_id, length, head)) if keyed else None
        tails[alarm.alarm_id] = (length, head, seal is not None)
        finals[alarm.alarm_id] = (alarm, seal)
        new_rows += rows
        out.append(rows)
    if new_rows:
        await conn.execute(insert(t.alarm_event), [row.values() for row in new_rows])
    await _project(conn, finals, exists)
    return out


async def _record_presses(conn: AsyncConnection, entries: Sequence[Append]) -> set[int]:
    """Insert every press key; the indexes of entries whose key was recorded before (by an
    earlier transaction, or by an earlier entry of this batch)."""
    presses = [(i, alarm, events, p) for i, (alarm, events, p) in enumerate(entries) if p]
    if not presses:
        return set()
    values = [
        {
            "device_id": p.device_id,
            "seq": p.seq,
            "device_ts": p.device_ts,
            "boot": p.boot,
            "alarm_id": alarm.alarm_id,
            "received_at": events[0].at if events else datetime.now(UTC),
        }
        for _, alarm, events, p in presses
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    p = t.press.c
    statement = (
        dialect.insert(t.press)
        .values(values)
        .on_conflict_do_nothing()
        .returning(p.device_id, p.seq, p.device_ts, p.boot)
    )
    inserted = {PressKey(*row) for row in await conn.execute(statement)}
    taken, first = set(), set()
    for i, _, _, press in presses:
        if press in inserted and press not in first:
            first.add(press)
        else:
            taken.add(i)
    return taken


async def _lock_and_read_tails(
    conn: AsyncConnection, alarm_ids: set[str]
) -> tuple[dict[str, _Tail], set[str]]:
    """Lock the alarms' rows (PostgreSQL; SQLite holds its write lock already), then read each
    one's chain end and whether it is sealed; also which alarms have a row. Locking before
    reading serialises concurrent appends to one alarm, so each sees the last row."""
    a, e = t.alarm.c, t.alarm_event.c
    ids = sorted(alarm_ids)
    lock = select(a.alarm_id, a.chain_seal).where(a.alarm_id.in_(ids)).order_by(a.alarm_id)
    sealed = {
        row.alarm_id: row.chain_seal is not None
        for row in await conn.execute(lock.with_for_update())
    }
    last = (
        select(e.alarm_id, func.max(e.seq).label("seq"))
        .where(e.alarm_id.in_(ids))
        .group_by(e.alarm_id)
        .subquery()
    )
    tail = select(e.alarm_id, e.seq, e.hash).join(
        last, (e.alarm_id == last.c.alarm_id) & (e.seq == last.c.seq)
    )
    tails = {
        row.alarm_id: (row.seq, row.hash, sealed.get(row.alarm_id, False))
        for row in await conn.execute(tail)
    }
    return tails, set(sealed)


async def _project(
    conn: AsyncConnection, finals: dict[str, tuple[AlarmSummary, Seal | None]], exists: set[str]
) -> None:
    """Each alarm's row: the values of its last entry, with its seal when keyed."""
    updates: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    inserts = []
    for alarm_id, (alarm, seal) in finals.items():
        values = _alarm_values(alarm, seal)
        if alarm_id in exists:
            updates[seal is not None].append({"b_alarm_id": alarm_id, **values})
        else:
            inserts.append({"alarm_id": alarm_id, **values})
    for params in updates.values():
        if params:
            columns: dict[str, Any] = {n: bindparam(n) for n in params[0] if n != "b_alarm_id"}
            statement = update(t.alarm).where(t.alarm.c.alarm_id == bindparam("b_alarm_id"))
            await conn.execute(statement.values(columns), params)
    if inserts:
        await conn.execute(insert(t.alarm), inserts)


def _alarm_values(alarm: AlarmSummary, seal: Seal | None) -> dict[str, Any]:
    values = {
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
    if seal is not None:
        values |= {"chain_length": seal.length, "chain_head": seal.head, "chain_seal": seal.seal}
    return values
