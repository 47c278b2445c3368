"""`rollekort bench scale`, small: a few offices and handsets against Mosquitto and SQLite. Every
handset is welcomed (by the service and by the floor), every offer of the burst arrives, every
press is recorded, the service stops on SIGTERM and its log has no error line."""

from __future__ import annotations

import asyncio

import pytest

from bench.scale import ScaleConfig, run
from tests.conftest import require_mosquitto, require_postgres


@pytest.mark.timeout(900)  # four processes and two storms: minutes on a shared machine
async def test_bench_scale_runs_small_and_loses_nothing() -> None:
    broker = require_mosquitto()
    config = ScaleConfig(
        offices=3,
        handsets=4,
        buttons=3,
        broker=broker,
        dbs=("sqlite",),
        generators=2,
        soak_s=2,
        burst_all_clear_s=1.0,  # the delayed all-clear, kept short in CI
    )
    [result] = await asyncio.to_thread(run, config)
    f = result.figures
    assert f["storm"]["welcomed"] == 12 and f["storm"]["failed"] == 0
    assert f["single"]["offers_per_press"] >= 1
    burst = f["burst"]
    assert burst["presses"] == 3 and burst["delivered"] == burst["expected"]
    assert 0 < burst["p50_s"] <= burst["read_p50_s"]  # an offer arrives before it is read
    assert f["recorded"]["closed"] == f["recorded"]["recorded"]  # the late all-clears came
    assert f["recorded"]["lost"] == 0
    assert f["recorded"]["presses"] >= 3 + 3 + 1  # single presses, burst, soak
    assert f["log_errors"] == []
    assert f["sigterm"] < 15
    assert f["storm_rss"] > f["idle_rss"] > 0


async def _scale_databases() -> set[str]:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'rollekort_scale_%'"
        )
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


@pytest.mark.postgres
@pytest.mark.timeout(900)
async def test_bench_scale_on_postgresql_loses_nothing_and_drops_its_database() -> None:
    """The operator's database server keeps no database of a finished run."""
    broker = require_mosquitto()
    require_postgres()
    before = await _scale_databases()
    config = ScaleConfig(
        offices=2,
        handsets=2,
        buttons=2,
        broker=broker,
        dbs=("postgres",),
        generators=1,
        soak_s=1,
        burst_all_clear_s=0.5,
    )
    [result] = await asyncio.to_thread(run, config)
    f = result.figures
    assert f["storm"]["welcomed"] == 4 and f["burst"]["delivered"] == f["burst"]["expected"]
    assert f["recorded"]["lost"] == 0 and f["log_errors"] == []
    assert await _scale_databases() <= before, "the run's database is still on the server"
