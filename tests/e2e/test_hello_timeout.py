"""The hello under load: a silent handset is closed with 4401 when its time is up, one that
vanished before its hello costs nothing, and a hello already sent while the server is busy (its
loop stalled longer than the hello timeout, as in a reconnect storm) is still welcomed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

from tests.conftest import require_mosquitto
from tests.e2e.harness import Running, service, settings_for


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    settings = settings_for(
        require_mosquitto(), f"sqlite+aiosqlite:///{tmp_path / 'hello.db'}", hello_timeout_s=1.0
    )
    async with service(settings) as up:
        yield up


async def test_a_silent_handset_is_closed_with_4401(running: Running) -> None:
    async with websockets.connect(running.ws_url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    for _ in range(20):  # handsets that hang up before their hello: nothing to close
        gone = await websockets.connect(running.ws_url)
        gone.transport.abort()
    await asyncio.sleep(2.0)
    async with websockets.connect(running.ws_url) as ws:  # and the server still serves
        await ws.send(json.dumps({"type": "hello", "token": "demo-leader"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "welcome"


async def test_a_hello_waiting_while_the_server_is_busy_is_welcomed(running: Running) -> None:
    async with websockets.connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": "demo-leader"}))
        end = time.monotonic() + 2.5  # the service's loop (this one) stalls past the timeout
        while time.monotonic() < end:
            pass
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert frame["type"] == "welcome"
