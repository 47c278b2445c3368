"""The bench's handsets time a frame by when it reached the machine, not when their busy loop
read it (bench.wire_time): a generator that falls behind must not add its backlog to a latency."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.asyncio.server import ServerConnection

from bench.wire_time import SO_TIMESTAMPNS, StampedConnection, StampedSocket, stamped_socket


@pytest.fixture
async def stamped() -> AsyncIterator[tuple[StampedSocket, socket.socket]]:
    """A stamped client socket and its peer, once the kernel stamps what the client reads."""
    server = socket.create_server(("127.0.0.1", 0))
    host, port = server.getsockname()
    client = await stamped_socket(host, port)
    peer, _ = server.accept()
    with server, client, peer:
        await _until_stamped(client, peer)
        yield client, peer


async def test_a_socket_read_late_still_tells_when_its_bytes_arrived(
    stamped: tuple[StampedSocket, socket.socket],
) -> None:
    client, peer = stamped
    peer.sendall(b"offer")
    sent = time.monotonic()
    await asyncio.sleep(0.3)  # the loop is busy elsewhere
    assert client.recv(100) == b"offer"
    assert client.arrived is not None
    assert abs(client.arrived - sent) < 0.1
    assert time.monotonic() - client.arrived >= 0.29


async def test_a_read_without_a_stamp_never_keeps_an_earlier_one(
    stamped: tuple[StampedSocket, socket.socket],
) -> None:
    client, peer = stamped
    client.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 0)  # as before the kernel's switch
    peer.sendall(b"offer")
    await asyncio.sleep(0.1)
    assert client.recv(100) == b"offer"
    assert client.arrived is None


async def _until_stamped(client: StampedSocket, peer: socket.socket) -> None:
    """The kernel switches stamping on a moment after the first socket asks for it."""
    for _ in range(200):
        peer.sendall(b"x")
        await asyncio.sleep(0.01)
        client.recv(100)
        if client.arrived is not None:
            return
    raise AssertionError("the kernel never stamped a segment")


async def test_each_message_keeps_the_arrival_of_the_segment_that_completed_it() -> None:
    async def serve(ws: ServerConnection) -> None:
        await ws.recv()  # the hello, as the service waits for it
        await ws.send("first")
        await asyncio.sleep(0.3)
        await ws.send("second")
        await asyncio.sleep(1)

    async with websockets.serve(serve, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        sock = await stamped_socket("127.0.0.1", port)
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}", sock=sock, create_connection=StampedConnection
        )
        assert isinstance(ws, StampedConnection)
        ws.source = sock
        async with ws:
            await ws.send("hello")
            await asyncio.sleep(0.6)  # both arrived before either is read
            read_at = time.monotonic()
            assert await ws.recv() == "first"
            assert await ws.recv() == "second"
            first, second = ws.arrived(), ws.arrived()
            assert 0.2 < second - first < 0.5
            assert read_at - first > 0.5
