"""What `rollekort serve` refuses to start with, said plainly before it serves (app.cli)."""

from __future__ import annotations

import typer

from app.settings import Settings


def refuse_a_second_writer(url: str) -> None:
    """SQLite only: on PostgreSQL a second serve is a standby replica (docs/architecture.md)."""
    import asyncio

    if url.startswith("postgresql"):
        return
    from app.adapters.db.single_writer import DatabaseInUse, check_free

    try:
        asyncio.run(check_free(url))
    except DatabaseInUse as err:
        typer.echo(f"rollekort serve: refusing to start: {err}", err=True)
        raise typer.Exit(1) from None


def refuse_a_foreign_chain_key(settings: Settings) -> None:
    """A replica with a key of its own would chain its appends under it: refuse before serving
    (app.adapters.db.chain_key_check), with the reason, rather than fail inside the lifespan."""
    import asyncio

    from app.adapters.db.chain_key import ChainKeyError
    from app.adapters.db.chain_key_check import check_settings_key

    try:
        asyncio.run(check_settings_key(settings))
    except ChainKeyError as err:
        typer.echo(f"rollekort serve: refusing to start: {err}", err=True)
        raise typer.Exit(1) from None
