"""Check-ins and checked-out worn triggers kept in the database (issue 15): a new register over
the same store, as a restarted service or a promoted standby builds it, knows who sits where and
who carries what; check-outs and ended shifts are gone; migration 0008 down and up again.

SQLite is a temporary file migrated with Alembic; PostgreSQL a database created for this run
(skipped, with the reason, where it is not running)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.db.engine import downgrade_async, make_engine, upgrade_async
from app.adapters.db.places import SqlAlchemyPlaceStore
from app.service.whereabouts import Places
from tests.conftest import fresh_postgres

CET = timezone(timedelta(hours=1), "CET")
T0 = datetime(2026, 12, 7, 8, 30, 12, tzinfo=CET)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'places.db'}"
        await upgrade_async(url)
        engine = make_engine(url)
        yield engine
        await engine.dispose()
        return
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine = make_engine(url)
        yield engine
        await engine.dispose()


async def test_a_new_register_over_the_store_knows_who_sits_where(engine: AsyncEngine) -> None:
    first = Places(SqlAlchemyPlaceStore(engine))
    first.check_in("demo", "lise", "reception", T0, None)
    first.check_in("demo", "per", "meeting-1", T0, T0 + timedelta(hours=2))
    first.carry("demo", "worn-1", "per", "meeting-1", T0, None)
    first.check_in("other", "lise", "desk", T0, None)  # ids are an office's own
    await first.persist()

    again = Places(SqlAlchemyPlaceStore(engine))  # a restart, or a standby taking over
    assert await again.load(T0 + timedelta(minutes=5)) == 4
    later = T0 + timedelta(minutes=5)
    where = again.snapshot("demo", later)
    assert where == first.snapshot("demo", later)
    assert where.at("reception") == ("lise",) and where.place_of("per") == "meeting-1"
    carry = where.carry_of("worn-1")
    assert carry is not None and (carry.person_id, carry.location_id) == ("per", "meeting-1")
    assert carry.since.utcoffset() == timedelta(0) and carry.since == T0
    assert again.snapshot("other", later).at("desk") == ("lise",)


async def test_check_outs_hand_backs_and_ended_shifts_are_not_loaded(engine: AsyncEngine) -> None:
    first = Places(SqlAlchemyPlaceStore(engine))
    first.check_in("demo", "lise", "reception", T0, None)
    first.check_in("demo", "lise", "meeting-1", T0 + timedelta(minutes=1), None)  # moved
    first.check_in("demo", "per", "reception", T0, T0 + timedelta(hours=1))
    first.carry("demo", "worn-1", "per", None, T0, None)
    first.check_in("demo", "gro", "back-office", T0, None)
    await first.persist()
    first.give_back("demo", "worn-1")
    first.check_out("demo", "gro")
    await first.persist()

    again = Places(SqlAlchemyPlaceStore(engine))
    assert await again.load(T0 + timedelta(hours=2)) == 1  # per's shift ended at T0 + 1 h
    where = again.snapshot("demo", T0 + timedelta(hours=2))
    assert where.place_of("lise") == "meeting-1" and where.at("reception") == ()
    assert where.carried == () and where.place_of("gro") is None
    # the ended one is gone from the database too, not only skipped
    assert await SqlAlchemyPlaceStore(engine).current(T0) == {"demo": where}
    # a forgotten check-out ends with the default shift
    assert await Places(SqlAlchemyPlaceStore(engine)).load(T0 + timedelta(hours=13)) == 0


async def test_migration_0008_goes_down_and_up(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    places = Places(SqlAlchemyPlaceStore(engine))
    places.check_in("demo", "lise", "reception", datetime(2026, 12, 7, 9, tzinfo=UTC), None)
    await places.persist()
    await engine.dispose()
    await downgrade_async(url, "0007")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "push_subscription" in tables and not {"place_check_in", "trigger_carry"} & tables
    await upgrade_async(url)
    assert (
        await Places(SqlAlchemyPlaceStore(engine)).load(datetime(2026, 12, 7, 9, tzinfo=UTC)) == 0
    )
