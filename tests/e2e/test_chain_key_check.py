"""A replica started with a chain key of its own is noticed (app.adapters.db.chain_key_check):
on PostgreSQL, where replicas share one database, `serve` refuses with the reason before it
serves; on SQLite the mismatch is logged and the office stays protected."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from app.adapters.db.chain_key import ChainKeyError
from app.adapters.db.chain_key_check import check_chain_key
from app.adapters.db.engine import make_engine, upgrade
from tests.conftest import fresh_postgres
from tests.e2e.process import serve_env, start, tagged_office

KEY_A = b"a" * 32
KEY_B = b"b" * 32


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    async with fresh_postgres() as url:
        await asyncio.to_thread(upgrade, url)
        yield url


async def test_the_first_key_is_recorded_and_another_one_is_noticed(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await check_chain_key(engine, KEY_A)
        await check_chain_key(engine, KEY_A)  # the same key, again: fine
        if engine.dialect.name == "postgresql":
            with pytest.raises(ChainKeyError, match="every replica must use the same key"):
                await check_chain_key(engine, KEY_B)
        else:
            with capture_logs() as logs:
                await check_chain_key(engine, KEY_B)
            assert any(e["event"] == "chain key mismatch" for e in logs)
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.timeout(300)
async def test_serve_with_another_key_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    config, _desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    async with fresh_postgres() as url:
        env = serve_env(tmp_path, config=config, db=url, broker="embedded")
        first = start(tmp_path, env | {"ROLLEKORT_CHAIN_KEY": "1" * 64})
        first.stop()
        other = start(tmp_path, env | {"ROLLEKORT_CHAIN_KEY": "2" * 64}, wait=False)
        try:
            code = other.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            other.kill()
            raise AssertionError(f"serve started with a foreign key:\n{other.output()}") from None
        said = other.output()
        assert code != 0
        assert "refusing to start" in said and "every replica must use the same key" in said
        assert "1" * 64 not in said and "2" * 64 not in said  # no key in the output
