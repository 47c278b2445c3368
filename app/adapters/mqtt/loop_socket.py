"""paho's socket on the asyncio event loop, and a blocking connect kept off it.

paho's socket I/O runs on the service's event loop, as in paho's `examples/loop_asyncio.py`: the
socket is watched with `add_reader`/`add_writer`. The one blocking call, the TCP connect, runs in
a worker thread so an unreachable broker never stalls the loop. paho is not thread-safe: while
the worker connects, nothing else calls the client, and the socket callbacks the worker fires are
carried to the loop and applied, in order, once the connect returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from functools import partial

import paho.mqtt.client as mqtt


class LoopSocket:
    """paho's socket, watched by the asyncio event loop (paho's `examples/loop_asyncio.py`).

    `connect()` runs paho's blocking `reconnect()` in a worker thread. The socket callbacks it
    fires there are carried to the loop and held until it returned, then applied in order, so the
    loop never calls the client while the worker does. Callbacks fired on the loop (from
    `loop_read`, `loop_write`, `loop_misc`, `disconnect`, `ack`) act at once.
    """

    def __init__(self, client: mqtt.Client, on_closed: Callable[[], None]) -> None:
        self._client = client
        self._on_closed = on_closed
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._held: list[Callable[[], None]] | None = None  # a list while connect() runs
        self.sock: mqtt.SocketLike | None = None  # the socket being watched
        self.closed = asyncio.Event()
        self.closed.set()
        client.on_socket_open = partial(self._from_paho, self._watch)
        client.on_socket_close = partial(self._from_paho, self._unwatch)
        client.on_socket_register_write = partial(self._from_paho, self._want_write)
        client.on_socket_unregister_write = partial(self._from_paho, self._written)

    @property
    def connecting(self) -> bool:
        return self._held is not None

    async def connect(self) -> bool:
        """One attempt: True once a socket is open and CONNECT queued; OSError if unreachable."""
        self._held = []
        try:
            await asyncio.to_thread(self._client.reconnect)
        finally:
            # The worker's hops were queued before its result, so they have all arrived.
            held, self._held = self._held, None
            for apply in held:
                apply()
        return self.sock is not None

    def drop(self) -> None:
        """Half-close both ways: `loop_read` sees the connection lost, as if the broker left."""
        if isinstance(self.sock, socket.socket):
            _shutdown(self.sock)

    def abandon(self) -> None:
        """Close now, unsent packets and all: writing to the shut socket fails and paho closes."""
        self.drop()
        if self.sock is not None:
            self._client.loop_write()
        if self.sock is not None:
            self._client.loop_read()

    def _from_paho(
        self,
        action: Callable[[mqtt.SocketLike], None],
        client: mqtt.Client,
        userdata: object,
        sock: mqtt.SocketLike,
    ) -> None:
        if threading.get_ident() == self._loop_thread:
            action(sock)
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to watch
            self._loop.call_soon_threadsafe(self._arrived, partial(action, sock))

    def _arrived(self, apply: Callable[[], None]) -> None:
        if self._held is not None:
            self._held.append(apply)
        else:
            apply()

    def _watch(self, sock: mqtt.SocketLike) -> None:
        self.sock = sock
        self.closed.clear()
        self._loop.add_reader(sock, self._client.loop_read)

    def _unwatch(self, sock: mqtt.SocketLike) -> None:
        if sock is not self.sock:
            return
        self._loop.remove_reader(sock)
        self._loop.remove_writer(sock)
        self.sock = None
        self.closed.set()
        self._on_closed()

    def _want_write(self, sock: mqtt.SocketLike) -> None:
        if sock is self.sock:
            self._loop.add_writer(sock, self._client.loop_write)

    def _written(self, sock: mqtt.SocketLike) -> None:
        if sock is self.sock:
            self._loop.remove_writer(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)
