"""The latency benchmark runs end to end (a few presses, the embedded broker): it keeps every
alarm, and it reports the CPU the service and the load generator used."""

from __future__ import annotations

import asyncio

from bench import latency


async def test_the_bench_keeps_every_alarm_and_reports_cpu() -> None:
    report = await asyncio.to_thread(latency.run, 5)
    assert report["lost"] == 0 and report["press"].count == 5
    cpu = report["cpu"]
    assert cpu["wall"] > 0 and cpu["service"] >= 0 and cpu["bench"] > 0
    assert report["floor"].p50_ms > 0 and report["ratios"]["p50 / floor p50"] > 0
