"""A TCP proxy between two of the run's parties (service ↔ broker, handsets ↔ service) that a
fault can cut or slow down, for a bounded time, without either party knowing."""

from __future__ import annotations

import asyncio
import contextlib

from simulator.prove.procs import free_port

CHUNK = 65536


class Proxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`upstream`. `cut()` drops every live connection
    and refuses new ones until `heal()`; `delay_s` holds back every chunk in both directions."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.delay_s = 0.0
        self.refusing = False
        self._server: asyncio.Server | None = None
        self._live: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self.refusing = True
        for writer in list(self._live):
            writer.transport.abort()
        self._live.clear()

    def heal(self) -> None:
        self.refusing = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._live |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except asyncio.CancelledError:
            # Python 3.11's stream server logs a cancelled handler as an error; a proxy torn
            # down at the end of a run is no error.
            return
        finally:
            for w in (writer, up_writer):
                self._live.discard(w)
                w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await reader.read(CHUNK):
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()
