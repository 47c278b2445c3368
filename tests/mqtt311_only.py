"""A broker that speaks only MQTT 3.1.1, made of a real Mosquitto behind a version gate.

Mosquitto cannot be told to refuse MQTT 5, and amqtt (3.1.1 only) hangs on an MQTT 5 CONNECT
that carries properties. The gate does what the 3.1.1 spec asks of a server that does not
support the client's protocol level [MQTT-3.1.2-2]: it answers CONNACK with return code 1 and
closes. A 3.1.1 client's bytes go to Mosquitto and back untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

LEVEL_311 = 4
REFUSED_VERSION = bytes([0x20, 0x02, 0x00, 0x01])  # CONNACK, unacceptable protocol version


async def _first_packet(reader: asyncio.StreamReader) -> tuple[bytes, int]:
    """The client's CONNECT, whole, and the protocol level it asks for."""
    head = await reader.readexactly(1)
    length, shift, size_bytes = 0, 0, b""
    while True:
        byte = await reader.readexactly(1)
        size_bytes += byte
        length |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    body = await reader.readexactly(length)
    name_length = int.from_bytes(body[:2], "big")
    return head + size_bytes + body, body[2 + name_length]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def mqtt311_only(upstream_port: int) -> AsyncIterator[str]:
    """The gate's broker URL, in front of a Mosquitto on `upstream_port`."""
    pipes: set[asyncio.Task[None]] = set()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            connect, level = await _first_packet(reader)
        except (asyncio.IncompleteReadError, IndexError):
            writer.close()
            return
        if level != LEVEL_311:
            writer.write(REFUSED_VERSION)
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        up_writer.write(connect)
        for task in (_pipe(reader, up_writer), _pipe(up_reader, writer)):
            pipes.add(asyncio.create_task(task))

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        server.close()
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
