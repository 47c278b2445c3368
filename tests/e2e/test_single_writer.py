"""A second `rollekort serve` on the same database refuses to start and says why (issue 12, B):
two real processes, on SQLite (file lock) and on PostgreSQL (session advisory lock)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.adapters.db.engine import make_engine
from app.adapters.db.single_writer import DatabaseInUse, single_writer
from tests.conftest import fresh_postgres
from tests.e2e.process import serve_env, start, tagged_office

pytestmark = pytest.mark.timeout(600)  # three real processes start one after another


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
        return
    async with fresh_postgres() as url:
        yield url


async def test_a_second_serve_on_the_same_database_refuses_to_start(
    tmp_path: Path, db_url: str
) -> None:
    config, _desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    first = start(tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"))
    try:
        second = start(
            tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"), wait=False
        )
        try:
            code = second.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            second.kill()
            raise AssertionError(f"the second serve kept running:\n{second.output()}") from None
        said = second.output()
        assert code != 0
        assert "refusing to start" in said and "another rollekort serve" in said
        assert "several replicas on one database are not supported" in said
        assert first.process.poll() is None, "the first one was disturbed"
    finally:
        first.stop()
    # once the first has stopped, the database is free again
    again = start(tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"))
    again.stop()


async def test_the_lock_is_held_for_the_life_of_the_context_and_freed_after(db_url: str) -> None:
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        async with single_writer(first):
            with pytest.raises(DatabaseInUse, match="another rollekort serve"):
                async with single_writer(second):
                    pass
        async with single_writer(second):  # freed when the holder's context ended
            pass
    finally:
        await first.dispose()
        await second.dispose()
