"""The handset hub sends each handset its frames in order through one writer per connection;
frames behind a send that has to wait (a slow socket) keep their order; a socket that fails
stops taking frames."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from app.adapters.ws.hub import Connection, HandsetHub
from app.service.metrics import Metrics
from app.service.presence import Presence
from tests.fakes.clock import ManualClock

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Socket:
    """A handset's socket: takes frames at once, or only when `open` is set."""

    def __init__(self, *, blocking: bool = False) -> None:
        self.frames: list[dict[str, object]] = []
        self.open = asyncio.Event()
        if not blocking:
            self.open.set()
        self.fail = False
        self.arrived: asyncio.Queue[None] = asyncio.Queue()

    async def send_text(self, text: str) -> None:
        await self.open.wait()
        if self.fail:
            raise ConnectionResetError("gone")
        self.frames.append(json.loads(text))
        self.arrived.put_nowait(None)

    async def close(self, code: int) -> None:
        return None


def hub_with(socket: Socket) -> tuple[HandsetHub, Connection]:
    hub = HandsetHub(Presence(), ManualClock(T0), Metrics())
    conn = Connection("hs-lise", "lise", "demo", socket.send_text, socket.close)
    hub.attach(conn)
    return hub, conn


async def test_a_frame_for_an_idle_handset_is_sent_without_waiting_for_anything_else() -> None:
    socket = Socket()
    hub, conn = hub_with(socket)
    hub.send(conn, {"type": "alarm", "alarm_id": "a-1"})
    async with asyncio.timeout(5):
        await socket.arrived.get()
    assert [f["alarm_id"] for f in socket.frames] == ["a-1"]
    await hub.detach(conn)


async def test_frames_behind_a_send_that_waits_keep_their_order() -> None:
    socket = Socket(blocking=True)
    hub, conn = hub_with(socket)
    for n in range(5):
        hub.send(conn, {"type": "alarm_update", "n": n})
    assert socket.frames == []  # the socket takes nothing yet
    socket.open.set()
    async with asyncio.timeout(5):
        for _ in range(5):
            await socket.arrived.get()
    assert [f["n"] for f in socket.frames] == [0, 1, 2, 3, 4]
    seqs = [f["event_seq"] for f in socket.frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    await hub.detach(conn)


async def test_a_failed_socket_takes_no_more_frames_and_nothing_is_raised() -> None:
    socket = Socket()
    socket.fail = True
    hub, conn = hub_with(socket)
    hub.send(conn, {"type": "alarm", "alarm_id": "a-1"})  # fails inside, not here
    await asyncio.sleep(0.05)
    assert conn.gone
    socket.fail = False
    hub.send(conn, {"type": "alarm", "alarm_id": "a-2"})
    await asyncio.sleep(0.05)
    assert socket.frames == []  # the reader side closes it; no frame goes to a dead socket
    await hub.detach(conn)
