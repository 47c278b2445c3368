"""One leader per database, two real processes each time. SQLite: a second `rollekort serve`
refuses to start and says why (issue 12, B; its file lock). PostgreSQL: a second one becomes a
standby: it answers liveness, refuses readiness, the API and handsets, and leads once the first
has gone (issue 14)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import text

from app.adapters.db.engine import make_engine
from app.adapters.db.single_writer import DatabaseInUse, single_writer
from app.compose.replica import LOST_EXIT
from tests.conftest import fresh_postgres
from tests.e2e.process import Served, serve_env, start, tagged_office

pytestmark = pytest.mark.timeout(600)  # real processes start one after another


async def test_a_second_serve_on_the_same_sqlite_database_refuses_to_start(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
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
        assert "several processes on one SQLite database are not supported" in said
        assert first.process.poll() is None, "the first one was disturbed"
    finally:
        first.stop()
    # once the first has stopped, the database is free again
    again = start(tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"))
    again.stop()


async def _status(served: Served, path: str) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(base_url=served.base, timeout=5) as client:
        response = await client.get(path, headers={"Authorization": "Bearer demo-coordinator"})
    return response.status_code, response.json()


async def _metrics(served: Served) -> str:
    async with httpx.AsyncClient(base_url=served.base, timeout=5) as client:
        return (await client.get("/metrics")).text


async def _until_standby(served: Served) -> None:
    for _ in range(600):
        assert served.process.poll() is None, served.output()
        try:
            code, body = await _status(served, "/readyz")
            if code == 503 and body["status"] == "standby":
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"never a standby:\n{served.output()}")


@pytest.mark.postgres
async def test_a_second_serve_on_postgresql_is_a_standby_until_the_first_goes(
    tmp_path: Path,
) -> None:
    config, _desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    async with fresh_postgres() as db_url:
        first = start(tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"))
        env = serve_env(tmp_path, config=config, db=db_url, broker="embedded")
        second = start(tmp_path, env | {"ROLLEKORT_REPLICA_ID": "second"}, wait=False)
        try:
            await _until_standby(second)
            assert (await _status(second, "/healthz"))[0] == 200
            code, body = await _status(second, "/api/v1/alarms")
            assert code == 503 and "not leading" in json.dumps(body)
            ws_url = f"ws://127.0.0.1:{second.port}/ws/handset"
            async with websockets.connect(ws_url) as ws:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
            assert "rollekort_leader 0.0" in await _metrics(second)
            assert (await _status(first, "/readyz"))[0] == 200, "the first was disturbed"
            first.stop()
            for _ in range(300):
                if (await _status(second, "/readyz"))[0] == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await _status(second, "/readyz"))[1]["replica"] == "second"
            assert "rollekort_leader 1.0" in await _metrics(second)
            assert "leading" in second.output()
        finally:
            first.stop()
            second.stop()


async def test_the_sqlite_lock_is_held_for_the_life_of_the_context_and_freed_after(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
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


@pytest.mark.postgres
async def test_a_leader_whose_epoch_was_taken_stops_and_exits_for_its_supervisor(
    tmp_path: Path,
) -> None:
    config, _desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    async with fresh_postgres() as db_url:
        leader = start(tmp_path, serve_env(tmp_path, config=config, db=db_url, broker="embedded"))
        try:
            engine = make_engine(db_url)
            try:  # as a replica that won the lock while this one was cut off would
                async with engine.begin() as conn:
                    await conn.execute(text("UPDATE leadership SET epoch = epoch + 1"))
            finally:
                await engine.dispose()
            code = await asyncio.to_thread(leader.process.wait, 30)
            said = leader.output()
            assert code == LOST_EXIT, said
            assert "leadership lost" in said and "fencing epoch" in said
        finally:
            leader.kill()
