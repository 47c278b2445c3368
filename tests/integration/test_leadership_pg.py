"""The leader lock and its fencing epoch on a real PostgreSQL (issue 14): one replica leads, the
next waits; a leader whose lock session was cut (its process still running) cannot write once
another replica has taken the next epoch, and learns it has lost, once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.engine import make_engine, upgrade_async
from app.adapters.db.leadership import PgLeadership
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core import events as ev
from app.core.leadership import Replica, Role
from app.core.office import Gesture
from app.service.ports import AlarmSummary, LeadershipLost, PressKey
from tests.conftest import fresh_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

SINGLE = Gesture.SINGLE
T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def _alarm(alarm_id: str) -> AlarmSummary:
    return AlarmSummary(alarm_id, "office", "desk-1", "desk", "open", "1", "live", T0, None, "v1")


def _raised(_alarm_id: str) -> list[ev.Event]:
    return [
        ev.PressReceived(at=T0, actor="device:desk-1", device_id="desk-1", seq=1, gesture=SINGLE)
    ]


async def test_a_cut_off_leader_cannot_write_after_the_next_one_took_its_epoch() -> None:
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine_a, engine_b = make_engine(url), make_engine(url)
        lost_a: list[str] = []
        a = PgLeadership(engine_a, Replica("a"), lost_a.append, watch_s=60)
        b = PgLeadership(engine_b, Replica("b"), lambda reason: None)
        try:
            assert await a.acquire() == 1
            store_a = SqlAlchemyAlarmStore(engine_a, fence=a.fence)
            await store_a.append(_alarm("a-1"), _raised("a-1"), PressKey("desk-1", 1))
            waiting = asyncio.create_task(b.acquire())
            await asyncio.sleep(0.5)
            assert not waiting.done(), "a second replica waits while the first leads"
            await _cut_lock_sessions(engine_b)  # a's lock session vanishes, a runs on
            assert await asyncio.wait_for(waiting, 10) == 2
            with pytest.raises(LeadershipLost):
                await store_a.append(_alarm("a-2"), _raised("a-2"), PressKey("desk-1", 2))
            assert await store_a.alarm("a-2") is None, "nothing of the fenced append stayed"
            assert len(lost_a) == 1 and "epoch" in lost_a[0]
            with pytest.raises(LeadershipLost):
                await store_a.append(_alarm("a-3"), _raised("a-3"))
            assert len(lost_a) == 1, "lost once"
            store_b = SqlAlchemyAlarmStore(engine_b, fence=b.fence)
            await store_b.append(_alarm("a-2"), _raised("a-2"), PressKey("desk-1", 2))
        finally:
            await a.release()
            await b.release()
            await engine_a.dispose()
            await engine_b.dispose()


async def _cut_lock_sessions(engine: AsyncEngine) -> None:
    """End every session holding an advisory lock on this test's database, as a PostgreSQL
    restart or a cut would (only this database's: other tests, and services, share the server)."""
    async with engine.connect() as admin:
        await admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        await admin.commit()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_a_lone_leader_takes_its_lock_again_after_its_session_was_cut() -> None:
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine = make_engine(url)
        lost: list[str] = []
        doubts: list[bool] = []
        replica = Replica("lone")
        leader = PgLeadership(engine, replica, lost.append, watch_s=0.1)
        leader.when_in_doubt(doubts.append)
        try:
            await leader.acquire()
            replica.to(Role.LEADING, 0.0)
            await _cut_lock_sessions(engine)
            await _until(lambda: doubts == [True, False])
            assert doubts == [True, False] and not lost and replica.leads
            store = SqlAlchemyAlarmStore(engine, fence=leader.fence)
            await store.append(_alarm("a-1"), _raised("a-1"))  # still the leader's epoch
        finally:
            await leader.release()
            await engine.dispose()


async def test_a_leader_whose_session_was_cut_loses_to_a_standby_that_took_the_lock() -> None:
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine_a, engine_b = make_engine(url), make_engine(url)
        lost: list[str] = []
        replica = Replica("watched")
        a = PgLeadership(engine_a, replica, lost.append, watch_s=0.5)
        b = PgLeadership(engine_b, Replica("b"), lambda reason: None, poll_s=0.01)
        try:
            await a.acquire()
            waiting = asyncio.create_task(b.acquire())
            await asyncio.sleep(0.2)
            await _cut_lock_sessions(engine_b)
            assert await asyncio.wait_for(waiting, 10) == 2
            await _until(lambda: bool(lost))
            assert len(lost) == 1 and replica.role == Role.LOST
        finally:
            await a.release()
            await b.release()
            await engine_a.dispose()
            await engine_b.dispose()
