"""Is this the chain key the database's timelines are written with?

The key lives outside the database (app.adapters.db.chain_key), so a replica on another machine,
or a container started without its data volume, can come up with a key of its own. Its appends
would then chain under a different key than its peers', and every timeline would read as
tampered. The database keeps an HMAC of a fixed text under the key (never the key); a start with
another key is refused on PostgreSQL, where replicas share one database, and logged as an error
on SQLite, whose key lies beside the database file (refusing there would leave the office
without protection for a key that can no longer be recovered anyway).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import structlog
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.chain_key import ChainKeyError, load_chain_key
from app.adapters.db.engine import make_engine
from app.adapters.db.tables import chain_key_check
from app.settings import Settings

log = structlog.get_logger(__name__)

CHECK_TEXT = b"rollekort chain key check v1"
HINT = (
    "every replica must use the same key (ROLLEKORT_CHAIN_KEY or ROLLEKORT_CHAIN_KEY_FILE, "
    "docs/operations.md); restore the key this database was written with"
)


def key_digest(key: bytes) -> str:
    """A fingerprint that proves knowledge of the key without revealing it."""
    return hmac.new(key, CHECK_TEXT, hashlib.sha256).hexdigest()


async def check_chain_key(engine: AsyncEngine, key: bytes) -> None:
    """Record the key's fingerprint on first use; refuse (PostgreSQL) or log (SQLite) another."""
    mine = key_digest(key)
    async with engine.begin() as conn:
        stored = await conn.scalar(select(chain_key_check.c.digest))
        if stored is None:
            row = {"id": 1, "digest": mine, "recorded_at": datetime.now(UTC)}
            await conn.execute(insert(chain_key_check).values(**row))
            return
    if hmac.compare_digest(stored, mine):
        return
    message = f"the chain key is not the one this database's timelines are written with; {HINT}"
    if engine.dialect.name == "postgresql":
        raise ChainKeyError(message)
    log.error("chain key mismatch", reason=message)


async def check_settings_key(settings: Settings) -> None:
    """The check for the key `serve` will use (the CLI's, before it serves)."""
    key = load_chain_key(settings.chain_key, settings.chain_key_file, settings.data_folder)
    engine = make_engine(settings.db)
    try:
        await check_chain_key(engine, key)
    finally:
        await engine.dispose()
