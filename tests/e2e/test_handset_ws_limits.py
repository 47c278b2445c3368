"""An anonymous attacker on the handset websocket (issue 12, hole 2): a frame larger than
`ws_max_bytes` is refused by the server before `hello` (close 1009, the frame is never read
whole), connections waiting for `hello` are capped (close 1013 over the cap, one log line), and
a press is still offered to a handset while both attacks run."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
import websockets
from websockets.exceptions import ConnectionClosed

from simulator.button import press
from tests.e2e.harness import Handset, Running, service, settings_for

TOO_BIG = 1009
TRY_AGAIN_LATER = 1013


async def close_code(ws: websockets.ClientConnection) -> int | None:
    """Wait for the server to close the socket; its close code."""
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    return ws.close_code


async def send_big_frame(running: Running, size: int) -> int | None:
    async with websockets.connect(running.ws_url, max_size=None) as ws:
        with contextlib.suppress(ConnectionClosed):
            await ws.send("x" * size)
        return await close_code(ws)


async def test_an_oversized_frame_before_hello_is_refused(sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url)
    async with service(settings) as running:
        assert await send_big_frame(running, settings.ws_max_bytes + 1) == TOO_BIG
        assert await send_big_frame(running, 15 * 1024 * 1024) == TOO_BIG
        # a frame of the allowed size is read (and refused as not a hello, as before)
        assert await send_big_frame(running, 1000) == 4401


async def test_connections_waiting_for_hello_are_capped(sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url, max_pre_hello=5, hello_timeout_s=30)
    async with service(settings) as running, contextlib.AsyncExitStack() as stack:
        silent = [
            await stack.enter_async_context(websockets.connect(running.ws_url)) for _ in range(5)
        ]
        with structlog.testing.capture_logs() as logs:
            refused = [
                await stack.enter_async_context(websockets.connect(running.ws_url))
                for _ in range(3)
            ]
            codes = [await close_code(ws) for ws in refused]
        assert codes == [TRY_AGAIN_LATER] * 3
        lines = [e for e in logs if "waiting for hello" in e["event"]]
        assert len(lines) == 1, logs  # one line, not one per refused connection
        # one of the silent ones goes away: its place is free again, and a handset gets in
        await silent[0].close()
        await asyncio.sleep(0.2)
        async with Handset.connect(running, "demo-leader") as leader:
            await leader.expect("welcome")


async def test_a_press_is_offered_while_the_socket_is_attacked(sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url, max_pre_hello=20, hello_timeout_s=30)
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        stop = asyncio.Event()

        async def flood_big_frames() -> None:
            while not stop.is_set():
                await send_big_frame(running, 1024 * 1024)

        async def hold_silent_sockets() -> None:
            with contextlib.suppress(OSError, ConnectionClosed):
                async with contextlib.AsyncExitStack() as stack:
                    for _ in range(40):  # twice the cap: the rest are refused
                        await stack.enter_async_context(websockets.connect(running.ws_url))
                    await stop.wait()

        attackers = [asyncio.create_task(flood_big_frames()) for _ in range(8)]
        attackers.append(asyncio.create_task(hold_silent_sockets()))
        try:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(press, running.broker_url, "desk-1")
            offer = await leader.expect("alarm", trigger__device_id="desk-1")
            assert offer["offer"]["role_id"] == "leader"
            await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
            await leader.expect("alarm_update", alarm_id=offer["alarm_id"])
        finally:
            stop.set()
            await asyncio.gather(*attackers, return_exceptions=True)
