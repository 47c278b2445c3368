"""`rollekort db purge`: every office's free text past its retention is blanked, on a real
(SQLite) database migrated to head, and the command says how much per office."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from app.adapters.db.engine import make_engine, upgrade
from app.adapters.db.learning.store import SqlAlchemyLearningStore
from app.cli import cli
from app.core.learning.terms import IncidentKind
from app.service.learning.ports import IncidentRow

runner = CliRunner()


async def _seed(url: str) -> None:
    engine = make_engine(url)
    store = SqlAlchemyLearningStore(engine)
    now = datetime.now(UTC)
    try:
        for n, (office, age) in enumerate((("demo", 400), ("demo", 10), ("small", 40))):
            at = now - timedelta(days=age)
            await store.add_incident(
                IncidentRow(f"in-{n}", office, IncidentKind.VERBAL_ABUSE, at, at, "t", note="tekst")
            )
        await store.set_retention("small", 30, now, "token:ab")
    finally:
        await engine.dispose()


async def _notes(url: str) -> dict[str, str | None]:
    engine = make_engine(url)
    store = SqlAlchemyLearningStore(engine)
    far, now = datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
    try:
        rows = [*await store.incidents("demo", far, now), *await store.incidents("small", far, now)]
        return {r.incident_id: r.note for r in rows}
    finally:
        await engine.dispose()


def test_db_purge_blanks_what_is_past_each_offices_period(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'purge.db'}"
    upgrade(url)
    asyncio.run(_seed(url))
    result = runner.invoke(cli, ["db", "purge", "--db", url])
    assert result.exit_code == 0, result.output
    assert "demo: 0 debriefs, 1 incidents" in result.output
    assert "small: 0 debriefs, 1 incidents" in result.output
    assert asyncio.run(_notes(url)) == {"in-0": None, "in-1": "tekst", "in-2": None}
