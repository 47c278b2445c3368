"""One `rollekort serve` per database: a second one refuses to start, and says why.

Several replicas on one database each decide every press with only their own handsets in view,
and their journals interleave into timelines that cannot be folded (issue 12, fault B). Until
replicas are designed for, the first process holds a lock for its whole life:
- PostgreSQL: a session-level advisory lock on a connection kept open; it goes with the session,
  so a killed process frees it as soon as the server sees the connection drop.
- SQLite: an exclusive `flock` on `<database>.serve.lock`; the kernel frees it when the process
  dies, however it dies. The file keeps the holder's process id for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

# pg_try_advisory_lock takes a signed 64-bit key: this one is Rollekort's, per database
LOCK_KEY = int.from_bytes(hashlib.sha256(b"rollekort serve").digest()[:8], "big", signed=True)
HINT = (
    "several replicas on one database are not supported: stop the other process "
    "(or give this one its own database)"
)


class DatabaseInUse(RuntimeError):
    """Another `rollekort serve` holds this database."""


@contextlib.asynccontextmanager
async def single_writer(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold the database for this process until the context ends; DatabaseInUse if taken."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine):
            yield
        return
    path = _sqlite_file(engine)
    if path is None:  # an in-memory database is this process's own
        yield
        return
    with _file_lock(path):
        yield


@contextlib.asynccontextmanager
async def _advisory_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    conn = await engine.connect()
    try:
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        await conn.commit()
        if not got:
            holder = await conn.scalar(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND classid::text::bigint = :hi AND objid::text::bigint = :lo"
                ),
                {"hi": (LOCK_KEY >> 32) & 0xFFFFFFFF, "lo": LOCK_KEY & 0xFFFFFFFF},
            )
            raise DatabaseInUse(
                f"another rollekort serve is using database {engine.url.database!r} "
                f"(it holds advisory lock {LOCK_KEY}, server pid {holder}); {HINT}"
            )
        yield
    finally:
        with contextlib.suppress(Exception):
            await conn.invalidate()  # the session ends (not back to the pool), and the lock
        with contextlib.suppress(Exception):
            await conn.close()


@contextlib.contextmanager
def _file_lock(database: Path) -> Iterator[None]:
    lock = Path(f"{database}.serve.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DatabaseInUse(
                f"another rollekort serve (pid {holder}) is using {database}; "
                f"it holds {lock}; {HINT}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _sqlite_file(engine: AsyncEngine) -> Path | None:
    database = make_url(str(engine.url)).database
    if database in (None, "", ":memory:") or str(database).startswith("file::memory:"):
        return None
    return Path(str(database)).resolve()


async def check_free(url: str) -> None:
    """Raise DatabaseInUse now if another process holds the database (the CLI's early check,
    before migrating; the service itself holds the lock from its start-up on)."""
    from app.adapters.db.engine import make_engine

    engine = make_engine(url)
    try:
        async with single_writer(engine):
            pass
    finally:
        await engine.dispose()
