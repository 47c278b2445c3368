"""The leader lock of `rollekort serve` replicas on one PostgreSQL, with a fencing epoch (issue 14).

- **Lock**: a session-level advisory lock on a connection of its own (autocommit, so it is never
  idle in a transaction). A standby polls `pg_try_advisory_lock` every `poll_s`; the lock frees
  as soon as PostgreSQL sees the leader's session end. The session sets the server's TCP
  keepalives short, so a leader whose machine vanished (no FIN) frees it within seconds too.
- **Epoch**: right after winning, the new leader increments `leadership.epoch` (one row). Every
  journal append checks, in its own transaction, that the epoch is still ours (`fence`), holding
  the row `FOR SHARE` until it commits: a new leader's increment waits for appends in flight,
  and an append after it sees the new epoch. A mismatch is `LeadershipLost`.
- **Watch**: the leader reads the epoch on the lock connection every `watch_s`. Another epoch is
  leadership lost. A broken session or a timeout puts leadership in doubt: the intake must not
  reconnect to the broker meanwhile (a new leader may hold its session), and the leader tries to
  take the lock again on a new session: with the lock and its own epoch still there, nobody led
  in between and it goes on (a PostgreSQL restart under a lone leader); otherwise it has lost.

Losing is fatal and happens once: `on_lost(reason)` (the service stops its intake and exits).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.adapters.db.single_writer import LOCK_KEY
from app.core.leadership import Replica, Role
from app.service.ports import LeadershipLost

log = structlog.get_logger(__name__)

KEEPALIVES = {"tcp_keepalives_idle": 2, "tcp_keepalives_interval": 1, "tcp_keepalives_count": 3}
"""Server-side keepalives of the lock session (user-settable): a leader that stops answering at
the TCP level is dropped after about idle + interval × count = 5 s, and its lock with it."""

POLL_S = 0.05
WATCH_S = 1.0
WATCH_TIMEOUT_S = 3.0
RETRY_S = 1.0  # a standby that cannot reach the database tries again after this
RETAKE_S = 0.5  # a leader in doubt tries to take its lock again this often

_TRY = text("SELECT pg_try_advisory_lock(:key)")
_TAKE = text(
    "UPDATE leadership SET epoch = epoch + 1, replica = :me, since = now() "
    "WHERE id = 1 RETURNING epoch"
)
_READ = text("SELECT epoch FROM leadership WHERE id = 1")
_FENCE = text("SELECT epoch FROM leadership WHERE id = 1 FOR SHARE")


class PgLeadership:
    """Wait for the leader lock, take the next epoch, guard it; tell `on_lost` once if it goes."""

    def __init__(
        self,
        engine: AsyncEngine,
        replica: Replica,
        on_lost: Callable[[str], None],
        *,
        poll_s: float = POLL_S,
        watch_s: float = WATCH_S,
    ) -> None:
        self._engine = engine
        self._replica = replica
        self._on_lost = on_lost
        self._poll_s = poll_s
        self._watch_s = watch_s
        self._conn: AsyncConnection | None = None
        self._watch: asyncio.Task[None] | None = None
        self._hooks: list[Callable[[], None]] = []
        self._doubt_hooks: list[Callable[[bool], None]] = []

    @property
    def epoch(self) -> int | None:
        return self._replica.epoch

    def when_lost(self, hook: Callable[[], None]) -> None:
        """Run `hook` (synchronous, quick: stop the intake) the moment leadership is lost."""
        self._hooks.append(hook)

    def when_in_doubt(self, hook: Callable[[bool], None]) -> None:
        """`hook(True)` when the lock session broke, `hook(False)` once the lock is ours again."""
        self._doubt_hooks.append(hook)

    async def acquire(self) -> int:
        """Wait as a standby until the lock is ours, then take the next epoch and watch it."""
        self._replica.to(Role.STANDBY, time.monotonic(), "waiting for the leader lock")
        log.info("standby", replica=self._replica.replica_id)
        while True:
            try:
                conn = await self._connect()
                while not await conn.scalar(_TRY, {"key": LOCK_KEY}):  # noqa: ASYNC110 (the
                    await asyncio.sleep(self._poll_s)  # lock is in the database, not in here)
                epoch = int(await conn.scalar(_TAKE, {"me": self._replica.replica_id}) or 0)
                break
            except asyncio.CancelledError:
                await self.release()
                raise
            except Exception as err:  # the database is down or restarting: keep waiting
                log.warning("standby cannot reach the database", error=repr(err))
                await self.release()
                await asyncio.sleep(RETRY_S)
        self._replica.won(epoch, time.monotonic())
        log.info("leader lock won", replica=self._replica.replica_id, epoch=epoch)
        self._watch = asyncio.create_task(self._watching(epoch))
        return epoch

    async def fence(self, conn: AsyncConnection) -> None:
        """In a journal append's transaction: LeadershipLost unless the epoch is still ours."""
        mine = self._replica.epoch
        found = await conn.scalar(_FENCE)
        if mine is None or found != mine:
            reason = f"fencing epoch is {found}, this replica's is {mine}"
            self.lose(reason)
            raise LeadershipLost(reason)

    def lose(self, reason: str) -> None:
        """Leadership is gone: stop what takes presses, then `on_lost` (once)."""
        if self._replica.role == Role.LOST:
            return
        self._replica.to(Role.LOST, time.monotonic(), reason)
        for hook in self._hooks:
            with contextlib.suppress(Exception):
                hook()
        self._on_lost(reason)

    async def release(self) -> None:
        """End the lock session (a clean shutdown: the next standby takes over at once)."""
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._end_session()

    async def _end_session(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()  # the session ends (not back to the pool), the lock too
            with contextlib.suppress(Exception):
                await conn.close()

    async def _connect(self) -> AsyncConnection:
        conn = await self._engine.connect()
        self._conn = conn
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for name, value in KEEPALIVES.items():
            await conn.execute(text(f"SET {name} = {int(value)}"))
        return conn

    async def _watching(self, epoch: int) -> None:
        """Read the epoch on the lock session every `watch_s`: another epoch loses leadership,
        a failed session puts it in doubt until the lock is taken again (or lost)."""
        while self._replica.role != Role.LOST:
            await asyncio.sleep(self._watch_s)
            conn = self._conn
            try:
                if conn is None:
                    raise ConnectionError("the lock session is closed")
                async with asyncio.timeout(WATCH_TIMEOUT_S):
                    found = await conn.scalar(_READ)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                await self._retake(epoch, repr(err))
                continue
            if found != epoch:
                self.lose(f"fencing epoch is {found}, this replica's is {epoch}")

    async def _retake(self, epoch: int, error: str) -> None:
        """The lock session failed: take the lock again on a new one, if nobody led meanwhile."""
        log.warning("leader lock session failed; taking it again", error=error)
        for hook in self._doubt_hooks:
            hook(True)
        await self._end_session()
        while self._replica.role != Role.LOST:
            try:
                conn = await self._connect()
                async with asyncio.timeout(WATCH_TIMEOUT_S):
                    got, found = (
                        await conn.scalar(_TRY, {"key": LOCK_KEY}),
                        await conn.scalar(_READ),
                    )
            except Exception:  # the database is still away: nobody else can lead either
                await self._end_session()
                await asyncio.sleep(RETAKE_S)
                continue
            if got and found == epoch:
                log.info("leader lock taken again", replica=self._replica.replica_id, epoch=epoch)
                for hook in self._doubt_hooks:
                    hook(False)
                return
            self.lose(f"another replica leads (lock held: {not got}, epoch {found}, ours {epoch})")
