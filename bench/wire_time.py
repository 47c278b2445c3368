"""When a frame reached a load generator's network stack, not when its busy loop got to it.

A generator holds ten thousand handsets on a core it shares with the service. In a burst it
has tens of thousands of frames to parse, and the time it reads each one lags behind the time
the phone it plays would have had the frame. The kernel stamps every arriving segment
(SO_TIMESTAMPNS); a socket that reads with `recvmsg` keeps that stamp, and the connection notes
it for every message the segment completes. Both times are reported, so the reader sees how
much of a latency was the generator's own backlog.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import deque
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.frames import DATA_OPCODES, Frame

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python names it from 3.14 only
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
STAMP = struct.Struct("qq")  # struct timespec


def realtime_to_monotonic(realtime_s: float) -> float:
    """The kernel stamps with CLOCK_REALTIME; the bench's clock is CLOCK_MONOTONIC."""
    return realtime_s - (time.time() - time.monotonic())


class StampedSocket(socket.socket):
    """A client TCP socket that remembers the kernel's arrival stamp of what it read last.

    The kernel turns stamping on a moment after the first socket asks (a deferred switch); a
    segment that arrived before has no stamp, and `arrived` is then None for that read, never
    the stamp of an earlier one."""

    arrived: float | None = None

    def __init__(self) -> None:
        super().__init__(socket.AF_INET, socket.SOCK_STREAM)
        self.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.setblocking(False)

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        """What asyncio's transport calls; `recvmsg` carries the stamp alongside the bytes."""
        data, ancillary, _, _ = self.recvmsg(bufsize, socket.CMSG_SPACE(STAMP.size), flags)
        self.arrived = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                seconds, nanos = STAMP.unpack(payload[: STAMP.size])
                self.arrived = realtime_to_monotonic(seconds + nanos / 1e9)
        return data


class StampedConnection(ClientConnection):
    """Notes the arrival stamp of every whole message, in the order they are received: the
    kernel's once its `source` is set (right after the opening handshake), until then the time
    it was parsed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source: StampedSocket | None = None
        self.arrivals: deque[float] = deque()

    def process_event(self, event: Any) -> None:
        super().process_event(event)
        if isinstance(event, Frame) and event.opcode in DATA_OPCODES and event.fin:
            stamp = self.source.arrived if self.source is not None else None
            self.arrivals.append(stamp if stamp is not None else time.monotonic())

    def arrived(self) -> float:
        """The stamp of the next message `recv` returns (call once per message read)."""
        return self.arrivals.popleft() if self.arrivals else time.monotonic()


async def stamped_socket(host: str, port: int) -> StampedSocket:
    sock = StampedSocket()
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return sock
