"""`rollekort bench scale`, small: a few offices and handsets against Mosquitto, on SQLite and on
PostgreSQL. Every handset is welcomed (by the service and by the floor), every offer of the
burst arrives, every press is recorded and no alarm more, the service stops on SIGTERM and its
log has no error line; the PostgreSQL run's database is dropped."""

from __future__ import annotations

import asyncio

import pytest

from bench.scale import ScaleConfig, run
from tests.conftest import require_mosquitto, require_postgres

# Both may run at once on the shared broker: each run's ids carry its own tag
# (bench.scale_offices), so neither service hears the other's presses.


def small(offices: int, handsets: int, db: str, generators: int, soak_s: float) -> ScaleConfig:
    """The command at a size CI affords, against Mosquitto on 127.0.0.1:1883."""
    return ScaleConfig(
        offices=offices,
        handsets=handsets,
        buttons=3,
        broker=require_mosquitto(),
        dbs=(db,),
        generators=generators,
        soak_s=soak_s,
        burst_all_clear_s=1.0,  # the delayed all-clear, kept short in CI
    )


@pytest.mark.timeout(900)  # four processes and two storms: minutes on a shared machine
async def test_bench_scale_runs_small_and_loses_nothing() -> None:
    config = small(offices=3, handsets=4, db="sqlite", generators=2, soak_s=2)
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
    config = small(offices=2, handsets=3, db="postgres", generators=1, soak_s=1)
    require_postgres()
    before = await _scale_databases()
    [result] = await asyncio.to_thread(run, config)
    f = result.figures
    assert f["storm"]["welcomed"] == 6 and f["burst"]["delivered"] == f["burst"]["expected"]
    assert f["recorded"]["lost"] == 0 and f["log_errors"] == []
    assert f["recorded"]["closed"] == f["recorded"]["recorded"]  # no alarm but its presses'
    assert await _scale_databases() <= before, "the run's database is still on the server"
