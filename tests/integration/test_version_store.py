"""The VersionStore contract: the fake, SQLite and PostgreSQL must behave the same, case by case.

SQLite is a temporary file migrated with Alembic; PostgreSQL is a database created for this run
on 127.0.0.1:5432 and dropped afterwards (skipped, with the reason, where it is not running).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.db import tables as t
from app.adapters.db.engine import downgrade_async, make_engine, upgrade, upgrade_async
from app.adapters.db.rolecards import SqlAlchemyVersionStore
from app.service.rolecards.versions import ACTIVE, RETIRED, UPLOADED, NewVersion, UnknownVersion
from tests.conftest import POSTGRES, reachable
from tests.fakes.versions import FakeVersionStore

CET = timezone(timedelta(hours=1), "CET")
T0 = datetime(2026, 11, 26, 9, 14, 3, 120_000, tzinfo=CET)
Store = FakeVersionStore | SqlAlchemyVersionStore
PG_UNREACHABLE = "PostgreSQL not reachable on 127.0.0.1:5432 (the fake and SQLite variants ran)"


async def _pg_admin(sql: str) -> None:
    admin = create_async_engine(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def version_pg() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped at the end."""
    if not reachable(POSTGRES):
        pytest.skip(PG_UNREACHABLE)
    name = f"rollekort_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'versions.db'}"
    url: str = request.getfixturevalue("version_pg")
    return url


PG = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(params=["fake", "sqlite", PG])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The database URL to test (None: the fake); sync, so the session fixture may run."""
    return None if request.param == "fake" else _url(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", PG])
def real_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, request, tmp_path)


@pytest.fixture
async def store(target: str | None) -> AsyncIterator[Store]:
    if target is None:
        yield FakeVersionStore()
        return
    async with _engine(target) as engine:
        yield SqlAlchemyVersionStore(engine)


@pytest.fixture
async def engine(real_target: str) -> AsyncIterator[AsyncEngine]:
    async with _engine(real_target) as engine:
        yield engine


class _engine:
    """A migrated database with empty version tables, disposed afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine | None = None

    async def __aenter__(self) -> AsyncEngine:
        if self.url.startswith("sqlite"):
            await upgrade_async(self.url)
        self.engine = make_engine(self.url)
        async with self.engine.begin() as conn:
            await conn.execute(delete(t.rolecard_ack))
            await conn.execute(delete(t.office_version))
        return self.engine

    async def __aexit__(self, *exc: object) -> None:
        assert self.engine is not None
        await self.engine.dispose()


async def add(
    store: Store,
    office_id: str = "demo",
    label: str = "v",
    content: str | None = None,
    errors: int = 0,
    warnings: int = 0,
) -> int:
    text = f"rolecard: {label}" if content is None else content
    return await store.add(office_id, text, label, T0, "coordinator", errors, warnings)


# --- the contract ---------------------------------------------------------------------------


async def test_numbers_count_per_office_and_rows_round_trip(store: Store) -> None:
    content = "format: rollekort/office-v1\n# Ærlig talt – «Åse» ✓\n" + "x" * 200_000
    assert await add(store, content=content, label="2026-11-01", errors=2, warnings=1) == 1
    assert await add(store, label="2026-12-01") == 2
    assert await add(store, "nav-b") == 1
    row = await store.get("demo", 1)
    assert row is not None
    assert (row.office_id, row.number, row.label, row.content) == ("demo", 1, "2026-11-01", content)
    assert (row.status, row.errors, row.warnings, row.uploaded_by) == (
        UPLOADED,
        2,
        1,
        "coordinator",
    )
    assert row.uploaded_at == T0 and row.uploaded_at.utcoffset() == timedelta(0)
    assert (row.activated_at, row.activated_by) == (None, None)
    assert await store.get("demo", 3) is None and await store.get("nav-c", 1) is None
    assert await store.active("demo") is None


async def test_activate_keeps_one_active_and_retires_the_previous(store: Store) -> None:
    for label in ("a", "b", "c"):
        await add(store, label=label)
    await add(store, "nav-b")
    await store.activate("nav-b", 1, T0, "file")
    await store.activate("demo", 1, T0, "file")
    later = T0 + timedelta(hours=2)
    await store.activate("demo", 2, later, "admin")
    active = await store.active("demo")
    assert active is not None and (active.number, active.label) == (2, "b")
    assert (active.activated_at, active.activated_by) == (later, "admin")
    history = await store.history("demo")
    assert [(r.number, r.status) for r in history] == [(3, UPLOADED), (2, ACTIVE), (1, RETIRED)]
    assert history[2].activated_at == T0  # when it was active, kept
    other = await store.active("nav-b")
    assert other is not None and other.number == 1  # another office is untouched
    await store.activate("demo", 1, later + timedelta(hours=1), "admin")  # back to an older one
    assert [r.status for r in await store.history("demo")] == [UPLOADED, RETIRED, ACTIVE]


async def test_activating_the_active_version_changes_nothing(store: Store) -> None:
    await add(store)
    await store.activate("demo", 1, T0, "file")
    await store.activate("demo", 1, T0 + timedelta(days=1), "admin")
    active = await store.active("demo")
    assert active is not None and (active.activated_at, active.activated_by) == (T0, "file")


async def test_activating_an_unknown_version_raises_and_changes_nothing(store: Store) -> None:
    await add(store)
    await store.activate("demo", 1, T0, "file")
    with pytest.raises(UnknownVersion):
        await store.activate("demo", 7, T0, "admin")
    with pytest.raises(UnknownVersion):
        await store.activate("nav-none", 1, T0, "admin")
    active = await store.active("demo")
    assert active is not None and active.number == 1


async def test_history_is_newest_first_and_per_office(store: Store) -> None:
    assert await store.history("demo") == []
    for _ in range(3):
        await add(store)
    await add(store, "nav-b")
    assert [r.number for r in await store.history("demo")] == [3, 2, 1]
    assert [r.office_id for r in await store.history("nav-b")] == ["nav-b"]


async def test_acknowledgements_are_idempotent_and_per_version(store: Store) -> None:
    await store.acknowledge("demo", "lise", 1, T0)
    await store.acknowledge("demo", "lise", 1, T0 + timedelta(minutes=5))
    await store.acknowledge("demo", "per", 1, T0)
    await store.acknowledge("demo", "per", 2, T0)
    await store.acknowledge("nav-b", "gro", 1, T0)
    assert await store.acknowledged("demo", 1) == {"lise", "per"}
    assert await store.acknowledged("demo", 2) == {"per"}
    assert await store.acknowledged("demo", 3) == set()


async def test_naive_times_are_refused_and_nothing_written(store: Store) -> None:
    naive = datetime(2026, 11, 26, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        await store.add("demo", "c", "v", naive, "x", 0, 0)
    assert await store.history("demo") == []
    await add(store)
    with pytest.raises(ValueError, match="naive"):
        await store.activate("demo", 1, naive, "x")
    with pytest.raises(ValueError, match="naive"):
        await store.acknowledge("demo", "lise", 1, naive)
    assert await store.active("demo") is None
    assert await store.acknowledged("demo", 1) == set()


async def test_concurrent_uploads_get_distinct_numbers(store: Store) -> None:
    numbers = await asyncio.gather(*(add(store, label=f"v{n}") for n in range(8)))
    assert sorted(numbers) == list(range(1, 9))


async def test_concurrent_activations_leave_exactly_one_active(store: Store) -> None:
    for _ in range(5):
        await add(store)
    await asyncio.gather(*(store.activate("demo", n, T0, "admin") for n in range(1, 6)))
    statuses = [r.status for r in await store.history("demo")]
    assert statuses.count(ACTIVE) == 1 and statuses.count(RETIRED) == 4


# --- the real databases only ----------------------------------------------------------------


async def test_the_database_refuses_a_second_active_version(engine: AsyncEngine) -> None:
    row = {
        "office_id": "demo",
        "label": "v",
        "content": "",
        "uploaded_at": T0.astimezone(UTC),
        "uploaded_by": "x",
        "status": ACTIVE,
        "errors": 0,
        "warnings": 0,
    }
    async with engine.begin() as conn:
        await conn.execute(insert(t.office_version).values(number=1, **row))
        await conn.execute(insert(t.office_version).values(number=2, **{**row, "status": RETIRED}))
        await conn.execute(insert(t.office_version).values(number=1, **{**row, "office_id": "b"}))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(t.office_version).values(number=3, **row))


async def test_migration_0002_downgrades_to_0001_and_upgrades_again(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    await downgrade_async(url, "0001")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "alarm" in tables and not {"office_version", "rolecard_ack"} & tables
    await upgrade_async(url)
    store = SqlAlchemyVersionStore(engine)
    assert await add(store) == 1


async def test_seeding_every_office_at_once_leaves_what_add_then_activate_would(
    store: Store,
) -> None:
    """The start-up path: one transaction for every office, the earlier active one retired."""
    first = await store.add("o1", "old", "v-old", T0, "file", 0, 0)
    await store.activate("o1", first, T0, "file")
    await store.acknowledge("o1", "p-anne", first, T0)
    at = T0 + timedelta(minutes=1)
    seeded = await store.seed(
        [
            NewVersion("o1", "new", "v-new", at, "file", 2),
            NewVersion("o2", "two", "v2", at, "file", 0),
        ]
    )
    assert [(r.office_id, r.number, r.status) for r in seeded] == [
        ("o1", 2, ACTIVE),
        ("o2", 1, ACTIVE),
    ]
    actives = await store.actives()
    assert {o: (r.number, r.content, r.warnings) for o, r in actives.items()} == {
        "o1": (2, "new", 2),
        "o2": (1, "two", 0),
    }
    assert actives["o1"] == await store.get("o1", 2) == seeded[0]
    assert (await store.get("o1", first)).status == RETIRED  # type: ignore[union-attr]
    assert await store.active_acks() == {}  # the acknowledgement was of the retired version
    await store.acknowledge("o2", "p-bo", 1, at)
    assert await store.active_acks() == {"o2": {"p-bo"}}
    assert await store.seed([]) == []
