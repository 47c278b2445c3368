"""Replicas (issue 14): which process leads, how it waits, and what it does when it stops leading.

On PostgreSQL every `rollekort serve` is a hot standby until it wins the leader lock
(app.adapters.db.leadership); the leader alone takes presses and serves handsets. On SQLite (and
the embedded default) the one process leads from its start, its flock refusing a second one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.leadership import PgLeadership
from app.adapters.db.single_writer import single_writer
from app.adapters.mqtt.ingest import MqttIngest
from app.core.leadership import Replica, Role
from app.service.metrics import Metrics
from app.settings import Settings

log = structlog.get_logger(__name__)

LOST_EXIT = 75
"""The exit status of a replica that lost leadership or failed its promotion (EX_TEMPFAIL): its
supervisor starts it again, and it comes back as a standby."""

Fatal = Callable[[str], None]


def replica_of(settings: Settings) -> Replica:
    """This process's role, named by ROLLEKORT_REPLICA_ID or hostname:pid."""
    return Replica(settings.replica_id or f"{socket.gethostname()}:{os.getpid()}")


def exit_process(reason: str) -> None:
    """The fatal path: say why, then end the process at once (no clean-up that could write,
    acknowledge or reconnect to the broker as a leader that is not one any more)."""
    log.critical("leadership lost: exiting; restarted, this replica waits as a standby", why=reason)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(LOST_EXIT)


async def lead(
    engine: AsyncEngine, replica: Replica, fatal: Fatal, stack: contextlib.AsyncExitStack
) -> PgLeadership | None:
    """Return once this process may decide alarms: at once on SQLite (after its flock), after
    winning the leader lock on PostgreSQL (the leadership, to fence the journal with)."""
    if engine.dialect.name != "postgresql":
        await stack.enter_async_context(single_writer(engine))
        replica.to(Role.PROMOTING, time.monotonic(), "the only writer of its database")
        return None
    async with engine.connect() as warm:  # the pool has a connection ready for the promotion
        await warm.execute(text("SELECT 1"))
    leadership = PgLeadership(engine, replica, fatal)
    stack.push_async_callback(leadership.release)
    await leadership.acquire()
    return leadership


def leading(replica: Replica, metrics: Metrics) -> None:
    """The intake runs: this replica takes presses (and /readyz may answer 200)."""
    replica.to(Role.LEADING, time.monotonic(), "taking presses")
    metrics.leader.set(1)
    took = replica.promotion_s or 0.0
    log.info(
        "leading", replica=replica.replica_id, epoch=replica.epoch, promotion_ms=round(took * 1000)
    )


def guard_intake(leadership: PgLeadership, ingest: MqttIngest) -> None:
    """Leadership lost: halt the intake at once (the new leader takes over its broker session;
    a reconnect from here would kick it off). In doubt (the lock session broke): the intake
    stays up, but a dropped connection is not re-made, it loses leadership instead."""

    def dropped() -> None:
        leadership.lose("the broker connection dropped while the leader lock was in doubt")

    def doubt(in_doubt: bool) -> None:
        ingest.halt_on_drop = dropped if in_doubt else None

    leadership.when_lost(ingest.halt)
    leadership.when_in_doubt(doubt)
