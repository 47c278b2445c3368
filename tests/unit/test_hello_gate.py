"""The hello gate (app/adapters/ws/hello_gate.py): a cap on sockets not yet said hello, and a
line before it where a freed place goes to the longest waiting."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from app.adapters.ws.hello_gate import HelloGate


async def test_below_the_cap_a_connection_enters_at_once() -> None:
    gate = HelloGate()
    assert await gate.enter(cap=2, line_cap=0)
    assert await gate.enter(cap=2, line_cap=0)
    assert not await gate.enter(cap=2, line_cap=0)  # no line: refused
    gate.leave()
    assert await gate.enter(cap=2, line_cap=0)
    assert gate.waiting == 2


async def test_a_freed_place_goes_to_the_longest_waiting_in_line() -> None:
    gate = HelloGate()
    assert await gate.enter(cap=1)
    first = asyncio.create_task(gate.enter(cap=1, line_cap=5, wait_s=10))
    await asyncio.sleep(0)
    second = asyncio.create_task(gate.enter(cap=1, line_cap=5, wait_s=10))
    await asyncio.sleep(0.01)
    assert gate.in_line == 2 and not first.done()
    gate.leave()
    assert await first
    assert not second.done()
    gate.leave()
    assert await second
    assert gate.waiting == 1 and gate.in_line == 0
    # a newcomer queues behind nobody now, but the cap is taken
    assert not await gate.enter(cap=1, line_cap=5, wait_s=0.05)


async def test_a_full_line_or_a_wait_that_runs_out_is_refused() -> None:
    gate = HelloGate()
    assert await gate.enter(cap=1)
    waiting = asyncio.create_task(gate.enter(cap=1, line_cap=1, wait_s=0.2))
    await asyncio.sleep(0.01)
    assert not await gate.enter(cap=1, line_cap=1, wait_s=5)  # the line is full
    assert not await waiting  # its wait ran out
    gate.leave()  # nobody in line: the place is free again
    assert gate.waiting == 0


async def test_a_connection_gone_while_in_line_passes_its_place_on() -> None:
    gate = HelloGate()
    assert await gate.enter(cap=1)
    gone = asyncio.create_task(gate.enter(cap=1, line_cap=5, wait_s=10))
    await asyncio.sleep(0)
    kept = asyncio.create_task(gate.enter(cap=1, line_cap=5, wait_s=10))
    await asyncio.sleep(0.01)
    gate.leave()  # handed to `gone` ...
    gone.cancel()  # ... which goes away before it could take it
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await asyncio.wait_for(kept, 1)
    assert gate.waiting == 1 and gate.in_line == 0


async def test_refusals_are_one_log_line_per_ten_seconds() -> None:
    now = [0.0]
    gate = HelloGate(monotonic=lambda: now[0])
    with structlog.testing.capture_logs() as logs:
        for _ in range(50):
            assert not await gate.enter(cap=0)
        now[0] = 11.0
        assert not await gate.enter(cap=0)
    lines = [e for e in logs if "waiting for hello" in e["event"]]
    assert [e["refused"] for e in lines] == [1, 50]
