"""The handset hub sends a frame for an idle handset at once, before `send` returns, so an alarm
offer is on the wire before the rest of a press's work; frames behind a send that has to wait
(a slow socket) keep their order; a socket that fails stops taking frames."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from app.adapters.ws.eager import start_now
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


async def test_a_frame_for_an_idle_handset_is_sent_before_send_returns() -> None:
    socket = Socket()
    hub, conn = hub_with(socket)
    hub.send(conn, {"type": "alarm", "alarm_id": "a-1"})
    assert [f["alarm_id"] for f in socket.frames] == ["a-1"]  # no await in between
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
    socket.fail = False
    hub.send(conn, {"type": "alarm", "alarm_id": "a-2"})
    await asyncio.sleep(0.05)
    assert socket.frames == []  # the reader side closes it; no frame goes to a dead socket
    await hub.detach(conn)


async def test_start_now_runs_a_coroutine_that_does_not_wait_on_the_spot() -> None:
    done: list[str] = []

    async def quick() -> None:
        done.append("sent")

    assert start_now(quick()) is None
    assert done == ["sent"]


async def test_start_now_hands_the_rest_of_a_waiting_coroutine_to_a_task() -> None:
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def waits() -> None:
        seen.append("started")
        seen.append(await gate)

    task = start_now(waits())
    assert task is not None and seen == ["started"]
    gate.set_result("finished")
    await asyncio.wait_for(task, 5)
    assert seen == ["started", "finished"]


async def test_start_now_passes_cancellation_to_the_coroutine() -> None:
    cleaned: list[str] = []

    async def waits_forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append("cleaned up")

    task = start_now(waits_forever())
    assert task is not None
    task.cancel()
    await asyncio.wait([task], timeout=5)
    assert task.cancelled() and cleaned == ["cleaned up"]


async def test_start_now_raises_what_the_coroutine_raises_before_waiting() -> None:
    async def broken() -> None:
        raise ConnectionResetError("gone")

    try:
        start_now(broken())
    except ConnectionResetError as err:
        assert str(err) == "gone"
    else:
        raise AssertionError("the error was swallowed")


async def test_what_start_now_hands_on_can_be_awaited_like_the_coroutine() -> None:
    gate: asyncio.Event = asyncio.Event()

    async def waits() -> None:
        await gate.wait()

    task = start_now(waits())
    assert task is not None
    asyncio.get_running_loop().call_soon(gate.set)
    await asyncio.wait_for(task, 5)
    assert task.done() and task.exception() is None
