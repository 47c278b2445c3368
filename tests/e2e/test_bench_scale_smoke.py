"""`rollekort bench scale`, small: a few offices and handsets against Mosquitto and SQLite. Every
handset is welcomed (by the service and by the floor), every offer of the burst arrives, every
press is recorded, the service stops on SIGTERM and its log has no error line."""

from __future__ import annotations

import asyncio

import pytest

from bench.scale import ScaleConfig, run
from tests.conftest import require_mosquitto


@pytest.mark.timeout(900)  # four processes and two storms: minutes on a shared machine
async def test_bench_scale_runs_small_and_loses_nothing() -> None:
    config = ScaleConfig(
        offices=3,
        handsets=4,
        buttons=3,
        broker=require_mosquitto(),
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
