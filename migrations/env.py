"""Alembic environment: async, batch mode on SQLite, the metadata from app.adapters.db.tables.

The service hands us an open connection (`config.attributes["connection"]`, see
app.adapters.db.engine); the alembic command line gets an engine of its own for the URL.
"""

from __future__ import annotations

import asyncio
import logging.config

from alembic import context
from sqlalchemy import Connection

from app.adapters.db.engine import make_engine
from app.adapters.db.tables import metadata
from app.settings import Settings

config = context.config


def database_url() -> str:
    """The URL the caller gave, then `-x url=…`, then sqlalchemy.url, then ROLLEKORT_DB."""
    given = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    return str(given or config.get_main_option("sqlalchemy.url") or Settings().db)


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_on(given)
        return
    if config.config_file_name is not None:
        logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        run_offline(database_url())
    else:
        asyncio.run(run_with_own_engine(database_url()))


main()
