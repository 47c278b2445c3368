"""The latency benchmark runs end to end (a few presses, the embedded broker): it keeps every
alarm, and it reports how the service decided them."""

from __future__ import annotations

import asyncio

from bench import latency


async def test_the_bench_keeps_every_alarm_and_says_how_they_were_decided() -> None:
    report = await asyncio.to_thread(latency.run, 5)
    assert report["lost"] == 0 and report["press"].count == 5
    decided = report["decided"]
    assert sum(decided.values()) == 5 + latency.WARMUP
    assert decided.get("differed", 0) == 0
    assert report["floor"].p50_ms > 0 and report["ratios"]["p50 / floor p50"] > 0
