"""The HandsetStore on SQLite and PostgreSQL: create, pair once (also under a race), expiry,
revoke, list and the active set; and migration 0003 down and up again.

SQLite is a temporary file migrated with Alembic; PostgreSQL is a database created for this run
on 127.0.0.1:5432 and dropped afterwards (skipped, with the reason, where it is not running).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db import tables as t
from app.adapters.db.engine import downgrade_async, make_engine, upgrade_async
from app.adapters.db.pairing import SqlAlchemyHandsetStore
from app.service.offices import token_digest
from app.service.pairing import (
    CODE_TTL,
    ExpiredCode,
    HandsetTaken,
    PairedRow,
    UnknownCode,
    UnknownHandset,
)
from tests.conftest import fresh_postgres

CET = timezone(timedelta(hours=1), "CET")
T0 = datetime(2026, 11, 26, 9, 14, 3, 120_000, tzinfo=CET)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A fresh, migrated database of each kind (PostgreSQL: skipped when not reachable)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'handsets.db'}"
        await upgrade_async(url)
        engine = make_engine(url)
        yield engine
        await engine.dispose()
        return
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine = make_engine(url)
        yield engine
        await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlAlchemyHandsetStore:
    return SqlAlchemyHandsetStore(engine)


def new(handset_id: str = "ph-1", code: str = "ABCDEFGH", office_id: str = "demo") -> PairedRow:
    return PairedRow(
        office_id=office_id,
        handset_id=handset_id,
        person_id="lise",
        token_sha256=None,
        pairing_code_sha256=token_digest(code),
        code_expires_at=T0 + CODE_TTL,
        created_at=T0,
        created_by="coordinator (token abcd1234)",
    )


async def test_create_get_and_list_round_trip(store: SqlAlchemyHandsetStore) -> None:
    await store.create(new())
    await store.create(replace(new("ph-2", "BCDEFGHJ"), created_at=T0 + timedelta(minutes=1)))
    await store.create(new("ph-1", "CDEFGHJK", office_id="nav-b"))  # ids are an office's own
    row = await store.get("demo", "ph-1")
    assert row == replace(new(), created_at=T0, code_expires_at=T0 + CODE_TTL)
    assert row is not None and row.created_at.utcoffset() == timedelta(0)
    assert [r.handset_id for r in await store.list("demo")] == ["ph-2", "ph-1"]
    assert await store.get("demo", "ph-9") is None
    assert await store.active() == []


async def test_a_taken_id_or_code_is_refused(store: SqlAlchemyHandsetStore) -> None:
    await store.create(new())
    with pytest.raises(HandsetTaken):
        await store.create(new(code="ZZZZZZZZ"))
    with pytest.raises(HandsetTaken):
        await store.create(new("ph-2"))
    assert len(await store.list("demo")) == 1


async def test_pair_sets_the_token_clears_the_code_and_works_once(
    store: SqlAlchemyHandsetStore,
) -> None:
    await store.create(new())
    at = T0 + timedelta(minutes=3)
    row = await store.pair(token_digest("ABCDEFGH"), token_digest("tok"), at)
    assert (row.token_sha256, row.pairing_code_sha256, row.paired_at) == (
        token_digest("tok"),
        None,
        at,
    )
    assert await store.get("demo", "ph-1") == row
    with pytest.raises(UnknownCode):
        await store.pair(token_digest("ABCDEFGH"), token_digest("tok2"), at)
    with pytest.raises(UnknownCode):
        await store.pair(token_digest("NOSUCHCD"), token_digest("tok3"), at)
    assert [r.handset_id for r in await store.active()] == ["ph-1"]


async def test_an_expired_code_is_refused(store: SqlAlchemyHandsetStore) -> None:
    await store.create(new())
    with pytest.raises(ExpiredCode):
        await store.pair(token_digest("ABCDEFGH"), token_digest("tok"), T0 + CODE_TTL)
    row = await store.get("demo", "ph-1")
    assert row is not None and row.token_sha256 is None and row.paired_at is None


async def test_concurrent_pairs_with_one_code_give_one_token(
    store: SqlAlchemyHandsetStore,
) -> None:
    await store.create(new())
    code = token_digest("ABCDEFGH")
    results = await asyncio.gather(
        *(store.pair(code, token_digest(f"tok{n}"), T0) for n in range(6)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, PairedRow)]
    assert len(won) == 1 and all(isinstance(r, UnknownCode) for r in results if r not in won)
    row = await store.get("demo", "ph-1")
    assert row is not None and row.token_sha256 == won[0].token_sha256


async def test_revoke_keeps_the_first_time_and_drops_the_handset_from_active(
    store: SqlAlchemyHandsetStore,
) -> None:
    await store.create(new())
    await store.create(new("ph-2", "BCDEFGHJ"))
    await store.pair(token_digest("ABCDEFGH"), token_digest("tok"), T0)
    at = T0 + timedelta(hours=1)
    row = await store.revoke("demo", "ph-1", at, "admin")
    assert (row.revoked_at, row.revoked_by) == (at, "admin")
    again = await store.revoke("demo", "ph-1", at + timedelta(hours=1), "coordinator")
    assert (again.revoked_at, again.revoked_by) == (at, "admin")
    pending = await store.revoke("demo", "ph-2", at, "admin")
    assert pending.pairing_code_sha256 is None  # the unused code goes with it
    with pytest.raises(UnknownCode):
        await store.pair(token_digest("BCDEFGHJ"), token_digest("tok2"), at)
    with pytest.raises(UnknownHandset):
        await store.revoke("demo", "ph-9", at, "admin")
    assert await store.active() == []


async def test_naive_times_are_refused(store: SqlAlchemyHandsetStore) -> None:
    naive = datetime(2026, 11, 26, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        await store.create(replace(new(), created_at=naive))
    assert await store.list("demo") == []


async def test_the_database_keeps_tokens_unique(engine: AsyncEngine) -> None:
    values = {**new().__dict__, "token_sha256": "x" * 64, "pairing_code_sha256": None}
    values.update(created_at=T0.astimezone(UTC), code_expires_at=T0.astimezone(UTC))
    async with engine.begin() as conn:
        await conn.execute(t.paired_handset.insert().values(**values))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(t.paired_handset.insert().values(**{**values, "handset_id": "b"}))


async def test_migration_0003_downgrades_to_0002_and_upgrades_again(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    await downgrade_async(url, "0002")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "office_version" in tables and "paired_handset" not in tables
    await upgrade_async(url)
    store = SqlAlchemyHandsetStore(engine)
    await store.create(new())
    assert [r.handset_id for r in await store.list("demo")] == ["ph-1"]
