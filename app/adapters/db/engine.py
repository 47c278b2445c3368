"""The async engine and schema migrations: SQLite tuned so a committed alarm survives power loss.

SQLite runs in WAL with `synchronous=FULL`; SQLAlchemy, not the sqlite3 driver, emits BEGIN, so
reads are repeatable, DDL is transactional, and a writer (see `writer`) takes the write lock at
BEGIN IMMEDIATE instead of failing on a lock upgrade. Migrations are Alembic's, run on a
connection we hand it so they work inside a running event loop (`rollekort serve`) as well as
from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

import migrations

SQLITE_BUSY_TIMEOUT_MS = 2_000
_WRITE_LOCK = "rollekort_write_lock"
MIGRATE_KEY = 0x726F6C6C656B6D67  # PostgreSQL advisory lock held while migrating ("rollekmg")

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
)


def make_engine(url: str) -> AsyncEngine:
    """An engine for `sqlite+aiosqlite://…` or `postgresql+asyncpg://…`."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


class Writer:
    """Write transactions on an engine: `begin()` is `writing(engine)`, so every writer of the
    process (the journal, debriefs, role cards, pairing, push) takes its turn; a debrief that
    took SQLite's lock on its own waited past busy_timeout behind a burst's journal commits."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def begin(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return writing(self._engine)


def writer(engine: AsyncEngine) -> Writer:
    """Write transactions on the same engine (same pool), taking SQLite's write lock at BEGIN."""
    return Writer(engine)


def _locking(engine: AsyncEngine) -> AsyncEngine:
    """The same engine whose transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{_WRITE_LOCK: True})


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction (`writer`). On SQLite the process's writers take turns here first:
    SQLite has one write lock per file, and a hundred offices' journal writers contending for it
    through busy_timeout made some wait past it ("database is locked", retried: alarms recorded
    seconds late). In turn, each waits only for the commits ahead of it. PostgreSQL writes
    concurrently."""
    if engine.dialect.name != "sqlite":
        async with _locking(engine).begin() as conn:
            yield conn
        return
    lock = _SQLITE_WRITERS.get(engine.sync_engine)
    if lock is None:
        lock = _SQLITE_WRITERS[engine.sync_engine] = asyncio.Lock()
    async with lock, _locking(engine).begin() as conn:
        yield conn


def _tune_sqlite(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver stops emitting BEGIN; we do it
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE_LOCK, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str) -> Config:
    """Alembic configuration for the migrations shipped in the package; no ini file, no logging."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["url"] = url
    return config


async def upgrade_async(url: str, revision: str = "head") -> None:
    await _migrate(url, command.upgrade, revision)


async def downgrade_async(url: str, revision: str = "base") -> None:
    await _migrate(url, command.downgrade, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database to `revision`; call it where no event loop is running."""
    asyncio.run(upgrade_async(url, revision))


def downgrade(url: str, revision: str = "base") -> None:
    asyncio.run(downgrade_async(url, revision))


_Step = Callable[[Config, str], None]


async def _migrate(url: str, step: _Step, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # replicas starting together migrate in turn
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_KEY})
            await conn.run_sync(_run_step, alembic_config(url), step, revision)
    finally:
        await engine.dispose()


def _run_step(conn: Connection, config: Config, step: _Step, revision: str) -> None:
    config.attributes["connection"] = conn  # migrations/env.py runs on it, in our transaction
    step(config, revision)
