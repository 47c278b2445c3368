"""Tamper evidence that works (issue 12, hole 4): with the chain keyed and its head sealed, each
way of rewriting a timeline with only database access is detected, on SQLite and PostgreSQL,
through the store, the `rollekort timeline verify` command and the service's API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from app.adapters.db import tables as t
from app.adapters.db.chain import EventRow, chain_hash, seal_of
from app.adapters.db.engine import make_engine, upgrade_async
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.cli import cli
from tests.conftest import fresh_postgres
from tests.integration.test_store_contract import T0, every_event, summary

KEY_HEX = secrets.token_hex(32)
KEY = bytes.fromhex(KEY_HEX)


@dataclass
class Keyed:
    url: str
    engine: AsyncEngine
    store: SqlAlchemyAlarmStore

    async def rows(self, alarm_id: str) -> list[EventRow]:
        e = t.alarm_event.c
        query = select(t.alarm_event).where(e.alarm_id == alarm_id).order_by(e.seq)
        async with self.engine.connect() as conn:
            return [EventRow(**r._asdict()) for r in await conn.execute(query)]

    async def set_row(self, alarm_id: str, seq: int, **values: object) -> None:
        e = t.alarm_event.c
        async with self.engine.begin() as conn:
            where = (e.alarm_id == alarm_id, e.seq == seq)
            await conn.execute(update(t.alarm_event).where(*where).values(**values))

    async def set_seal(self, alarm_id: str, **values: object) -> None:
        async with self.engine.begin() as conn:
            stmt = update(t.alarm).where(t.alarm.c.alarm_id == alarm_id).values(**values)
            await conn.execute(stmt)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def keyed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Keyed]:
    async with _database(request.param, tmp_path) as url:
        await upgrade_async(url)
        engine = make_engine(url)
        store = SqlAlchemyAlarmStore(engine, chain_key=KEY)
        await store.append(summary("a-1"), every_event("a-1")[:8])
        await store.append(summary("a-1", status="resolved"), every_event("a-1")[8:])
        try:
            yield Keyed(url, engine, store)
        finally:
            await store.close()


def _database(kind: str, tmp_path: Path) -> contextlib.AbstractAsyncContextManager[str]:
    if kind == "sqlite":
        return _sqlite(tmp_path)
    return fresh_postgres()


@contextlib.asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path / 'chain.db'}"


async def test_an_untouched_timeline_is_ok(keyed: Keyed) -> None:
    check = await keyed.store.integrity("a-1")
    assert (check.state, check.reason, check.length) == ("ok", None, len(every_event("a-1")))


async def test_an_edited_row_is_detected(keyed: Keyed) -> None:
    await keyed.set_row("a-1", 4, data={"role_id": "leader", "person_id": "p-mallory"})
    check = await keyed.store.integrity("a-1")
    assert check.state == "broken" and check.reason is not None and "row 4" in check.reason


async def test_deleting_the_tail_the_all_clear_is_detected(keyed: Keyed) -> None:
    rows = await keyed.rows("a-1")
    [clear] = [r.seq for r in rows if r.type == "AllClearGiven"]
    e = t.alarm_event.c
    async with keyed.engine.begin() as conn:
        await conn.execute(delete(t.alarm_event).where(e.alarm_id == "a-1", e.seq >= clear))
    check = await keyed.store.integrity("a-1")
    assert check.state == "broken"
    assert check.reason == f"{len(rows)} rows were recorded, {clear - 1} are left " + (
        "(rows removed from the end)"
    )
    # setting the recorded length and head back to the shorter chain needs the key
    head = rows[clear - 2].hash
    await keyed.set_seal("a-1", chain_length=clear - 1, chain_head=head)
    check = await keyed.store.integrity("a-1")
    assert check.state == "broken" and "seal" in (check.reason or "")


async def test_reordered_rows_are_detected(keyed: Keyed) -> None:
    a, b = (await keyed.rows("a-1"))[2:4]
    await keyed.set_row("a-1", a.seq, type=b.type, data=b.data, hash=b.hash, prev_hash=b.prev_hash)
    await keyed.set_row("a-1", b.seq, type=a.type, data=a.data, hash=a.hash, prev_hash=a.prev_hash)
    check = await keyed.store.integrity("a-1")
    assert check.state == "broken" and f"row {a.seq}" in (check.reason or "")


async def test_a_chain_recomputed_without_the_key_is_detected(keyed: Keyed) -> None:
    """The attacker edits a row and recomputes every hash and the seal by the public recipe,
    with plain SHA-256 (they do not have the key)."""
    rows = await keyed.rows("a-1")
    rows[3] = EventRow(**{**rows[3].values(), "data": {"role_id": "x", "person_id": "p-mallory"}})
    prev = ""
    for row in rows:
        new = chain_hash(prev, EventRow(**{**row.values(), "prev_hash": prev}).content())
        await keyed.set_row("a-1", row.seq, data=row.data, prev_hash=prev, hash=new)
        prev = new
    forged_seal = seal_of(None, "a-1", len(rows), prev)
    await keyed.set_seal("a-1", chain_length=len(rows), chain_head=prev, chain_seal=forged_seal)
    check = await keyed.store.integrity("a-1")
    assert check.state == "broken" and "without the key" in (check.reason or "")
    # wiping the seal as well makes it `unsealed`: still not `ok`, and the command says so
    await keyed.set_seal("a-1", chain_length=None, chain_head=None, chain_seal=None)
    assert (await keyed.store.integrity("a-1")).state == "unsealed"


async def test_retention_blanking_keeps_the_chain_ok(keyed: Keyed) -> None:
    assert await keyed.store.redact_free_text(T0 + timedelta(days=1), ["nav-grunerlokka"]) == 3
    assert (await keyed.store.integrity("a-1")).state == "ok"
    texts = [r.data for r in await keyed.rows("a-1") if r.type == "HelpRequested"]
    assert texts and texts[0]["text"] is None


async def test_the_verify_command_reports_each_broken_timeline(keyed: Keyed) -> None:
    await keyed.store.append(summary("a-2"), every_event("a-2")[:3])
    runner = CliRunner()
    env = {"ROLLEKORT_CHAIN_KEY": KEY_HEX}
    verify = ["timeline", "verify", "--db", keyed.url]
    ok = await asyncio.to_thread(runner.invoke, cli, verify, env=env)
    assert ok.exit_code == 0, ok.output
    assert "2 timelines checked: 2 ok" in ok.output
    await keyed.set_row("a-2", 2, actor="person:p-mallory")
    bad = await asyncio.to_thread(runner.invoke, cli, verify, env=env)
    assert bad.exit_code == 1
    assert "a-2: broken (3 rows): row 2 does not match its hash" in bad.output
    assert "1 broken, 1 ok" in bad.output
    wrong_key = {"ROLLEKORT_CHAIN_KEY": hashlib.sha256(b"a guess").hexdigest()}
    guessed = await asyncio.to_thread(runner.invoke, cli, verify, env=wrong_key)
    assert guessed.exit_code == 1 and "2 broken" in guessed.output
