"""Storage: the office files, the database, the role-card versions stored in it, and the
learning records."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.chain_key import load_chain_key
from app.adapters.db.chain_key_check import check_chain_key
from app.adapters.db.engine import make_engine
from app.adapters.db.leadership import PgLeadership
from app.adapters.db.learning.store import SqlAlchemyLearningStore
from app.adapters.db.rolecards import SqlAlchemyVersionStore
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.compose.replica import Fatal, lead
from app.config.loader import load_office_file, office_files
from app.core.leadership import Replica
from app.service.clock import Clock
from app.service.offices import OfficeDirectory
from app.service.rolecards.versions import RoleCardVersions, open_alarm_versions
from app.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Storage:
    offices: OfficeDirectory
    texts: list[str]  # each office file's text, as read (the embedded broker's access list)
    engine: AsyncEngine
    store: SqlAlchemyAlarmStore
    versions: RoleCardVersions
    learning: SqlAlchemyLearningStore  # debriefs, drills, incidents, outreach, statistics
    leadership: PgLeadership | None  # the leader lock on PostgreSQL (None: SQLite's flock)


async def open_storage(
    settings: Settings,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
    replica: Replica,
    fatal: Fatal,
) -> Storage:
    """Load the office files, open the database, wait to lead it (a standby waits here, warm),
    and put each office's active stored card in place of its file's before anything dispatches
    (the cards of open alarms stay loaded)."""
    files = office_files(settings.config)
    every = [load_office_file(path) for path in files]
    for warning in (w for loaded in every for w in loaded.warnings):
        log.warning("office file", problem=str(warning))
    offices = OfficeDirectory(every)
    texts = [await asyncio.to_thread(p.read_text, "utf-8-sig") for p in files]
    engine = make_engine(settings.db)
    stack.push_async_callback(engine.dispose)
    # one leader per database (docs/integrity.md): SQLite refuses a second process, PostgreSQL
    # makes it a standby until the leader lock is free
    leadership = await lead(engine, replica, fatal, stack)
    if leadership is not None and settings.chain_key is None and settings.chain_key_file is None:
        log.warning(
            "replicas need one chain key: set ROLLEKORT_CHAIN_KEY (or _FILE) alike on each, or "
            "timelines written after a failover will not verify"
        )
    key = load_chain_key(settings.chain_key, settings.chain_key_file, settings.data_folder)
    await check_chain_key(engine, key)
    fence = None if leadership is None else leadership.fence
    store = SqlAlchemyAlarmStore(engine, chain_key=key, fence=fence)
    stack.push_async_callback(store.close)
    versions = RoleCardVersions(SqlAlchemyVersionStore(engine), offices, clock.now)
    by_office = {loaded.office.id: text for loaded, text in zip(every, texts, strict=True)}
    await versions.start(by_office, await open_alarm_versions(store))
    learning = SqlAlchemyLearningStore(engine)
    return Storage(offices, texts, engine, store, versions, learning, leadership)
