"""One `rollekort serve` per SQLite database: a second one refuses to start, and says why.

Two processes on one database would each decide every press with only their own handsets in
view, and their journals would interleave into timelines that cannot be folded (issue 12,
fault B). On SQLite (and the embedded default) the first process holds an exclusive `flock` on
`<database>.serve.lock` for its whole life; the kernel frees it when the process dies, however it
dies. The file keeps the holder's process id for the message.

On PostgreSQL several replicas are supported (issue 14): a second process becomes a standby and
waits for the leader lock, an advisory lock on this module's `LOCK_KEY`
(app.adapters.db.leadership), so nothing here refuses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

# pg_try_advisory_lock takes a signed 64-bit key: this one is Rollekort's leader lock, per
# database (the same key as the single-writer lock of earlier versions, so an old process that
# still holds it keeps a new replica waiting as a standby)
LOCK_KEY = int.from_bytes(hashlib.sha256(b"rollekort serve").digest()[:8], "big", signed=True)
HINT = (
    "several processes on one SQLite database are not supported: stop the other process "
    "(or give this one its own database; replicas need PostgreSQL)"
)


class DatabaseInUse(RuntimeError):
    """Another `rollekort serve` holds this database."""


@contextlib.asynccontextmanager
async def single_writer(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a SQLite database for this process until the context ends; DatabaseInUse if taken.
    PostgreSQL: nothing to hold here (the leader lock decides who writes)."""
    if engine.dialect.name == "postgresql":
        yield
        return
    path = _sqlite_file(engine)
    if path is None:  # an in-memory database is this process's own
        yield
        return
    with _file_lock(path):
        yield


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
