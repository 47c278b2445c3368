"""A load-generator process of `rollekort bench scale`: holds its share of the handsets.

Reads one JSON line on stdin: `{"url": ..., "handsets": [[office_id, token, leader], ...]}`,
then commands, one a line, and answers each with one JSON line on stdout:
- `storm`: every handset connects and says hello at once, and tries again as the handset page
  does (`simulator.handset_backoff`); answers when all are welcomed or failed: how many, the time
  of each welcome (CLOCK_MONOTONIC, the same in every process here), the retries by kind.
- `offers`: the offers received since the last `offers` (device id, the kernel's arrival stamp,
  the time this process read it: bench.wire_time); a leader accepts its offer and gives the
  all-clear, so the alarm closes and the office can press again.
- `all_clear <seconds>`: from now on a leader gives the all-clear that long after its accept
  (0, the start: at once).
- `quit`: closes every connection and exits.
Every answer carries this process's CPU seconds, so a run shows who was the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import resource
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.wire_time import StampedConnection, StampedSocket, stamped_socket
from simulator.handset_backoff import not_leading, page_backoff

GIVE_UP_S = 20 * 60.0
"""How long a handset tries to be welcomed. The page never gives up; a broken run must end."""
MAX_ATTEMPT = 10
"""hs-conn.js `scheduleReconnect` caps its attempt count here: the backoff stays at its longest."""
REPLACED = 4409
"""The one close after which the page stops reconnecting (another tab took its token over)."""
DROP = 4000
"""The code the page's `dropSocket` closes a socket with that it has given up on."""
WATCHDOG_EVERY_S = 5.0
"""handset.js runs the watchdog every 5 s: a silent socket is dropped at its first run after
`connect_s` of silence, so 15 to 20 s after the attempt (or its opening) began."""


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _kind(err: Exception) -> str:
    """What a retry is counted under: the close code, the HTTP status, or what went wrong."""
    if isinstance(err, ConnectionClosed):
        return str(err.rcvd.code) if err.rcvd is not None else "dropped"
    if isinstance(err, InvalidStatus):
        return f"http {err.response.status_code}"
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, ConnectionRefusedError):
        return "refused"
    return type(err).__name__


class Generator:
    def __init__(self, url: str, handsets: list[tuple[str, str, bool]]) -> None:
        self.url, self.handsets = url, handsets
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.backoff = page_backoff()
        self.welcomed: list[float] = []
        self.welcomed_tokens: list[str] = []
        self.failed: list[str] = []
        self.offers: list[tuple[str, float, float]] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.dropping: set[asyncio.Task[None]] = set()
        self.sending_later: set[asyncio.Task[None]] = set()
        self.done = 0
        self.retries: dict[str, int] = {}  # tries that failed before the welcome, by kind
        self.all_done = asyncio.Event()
        self.all_clear_s = 0.0  # a leader's all-clear this long after its accept

    async def storm(self) -> dict[str, Any]:
        self.all_done.clear()
        self.tasks = [asyncio.create_task(self._handset(t, lead)) for _, t, lead in self.handsets]
        await self.all_done.wait()
        return {
            "welcomed": self.welcomed,
            "tokens": self.welcomed_tokens,
            "failed": len(self.failed),
            "retried": sum(self.retries.values()),
            "retries": self.retries,
            "errors": self.failed[:5],
        }

    def _settled(self) -> None:
        self.done += 1
        if self.done == len(self.handsets):
            self.all_done.set()

    async def _handset(self, token: str, leader: bool) -> None:
        """Connect as the page does after a restart: any failure before the welcome (a close,
        a refusal, an HTTP error, no welcome within `connect_s`) is tried again after the page's
        backoff, so the storm's time is what phones would see. Failed only after GIVE_UP_S."""
        attempt, quick_left, started = 0, self.backoff.quick_retries, time.monotonic()
        watchdog = random.random() * WATCHDOG_EVERY_S  # when this page's watchdog runs
        while True:
            try:
                ws, raw, at = await self._try(token, watchdog)
                break
            except Exception as err:  # the page tries again whatever went wrong
                kind = _kind(err)
                if kind == str(REPLACED) or time.monotonic() - started >= GIVE_UP_S:
                    self.failed.append(f"{type(err).__name__}: {err}"[:200])
                    self._settled()
                    return
                quick = not_leading(err) and quick_left > 0
            self.retries[kind] = self.retries.get(kind, 0) + 1
            quick_left -= quick
            await asyncio.sleep(self.backoff.delay(attempt, quick))
            attempt = attempt if quick else min(attempt + 1, MAX_ATTEMPT)
        self.welcomed.append(at)
        self.welcomed_tokens.append(token)
        self._settled()
        # after the welcome the storm has its count: a later drop is not retried
        with contextlib.suppress(Exception):
            async with ws:
                await self._on_frame(ws, raw, at, at, leader)
                async for raw in ws:
                    await self._on_frame(ws, raw, ws.arrived(), time.monotonic(), leader)

    async def _try(
        self, token: str, watchdog: float
    ) -> tuple[StampedConnection, str | bytes, float]:
        """One try, as the page's watchdog judges it: opened within `connect_s` (to its next
        run), then the first frame back (the welcome) within `connect_s` of the opening; a
        socket that failed or ran out of time is dropped without waiting."""
        ws: StampedConnection | None = None
        sock: StampedSocket | None = None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(self._dropped_at(loop.time(), watchdog)) as limit:
                sock = await stamped_socket(self.host, self.port)
                opened = await websockets.connect(
                    self.url,
                    sock=sock,
                    create_connection=StampedConnection,
                    open_timeout=None,
                    ping_interval=None,
                    max_queue=None,
                )
                assert isinstance(opened, StampedConnection)
                opened.source = sock
                ws = opened
                limit.reschedule(self._dropped_at(loop.time(), watchdog))  # 'open' is a sign
                await opened.send(json.dumps({"type": "hello", "token": token}))
                raw = await opened.recv()
                opened.arrived()
                return opened, raw, time.monotonic()
        except BaseException:
            if ws is not None:
                self._drop(ws)
            elif sock is not None:
                sock.close()
            raise

    def _dropped_at(self, since: float, watchdog: float) -> float:
        """The watchdog's first run after `connect_s` of silence from `since`."""
        due = since + self.backoff.connect_s
        return watchdog + (math.floor((due - watchdog) / WATCHDOG_EVERY_S) + 1) * WATCHDOG_EVERY_S

    def _drop(self, ws: StampedConnection) -> None:
        """Close in the background, as the browser does once the page has let a socket go."""
        task = asyncio.create_task(ws.close(DROP, "client closing"))
        self.dropping.add(task)
        task.add_done_callback(self.dropping.discard)

    async def _on_frame(
        self, ws: Any, raw: str | bytes, arrived: float, read: float, leader: bool
    ) -> None:
        """`arrived`: the kernel's stamp of the frame (bench.wire_time); `read`: when this
        process got to it."""
        frame: dict[str, Any] = json.loads(raw)
        kind = frame.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
        elif kind == "alarm" and frame.get("offer"):
            self.offers.append((frame["trigger"]["device_id"], arrived, read))
            role = frame["offer"]["role_id"]
            if leader and role == "leader":
                alarm = frame["alarm_id"]
                await ws.send(json.dumps({"type": "accept", "alarm_id": alarm, "role_id": role}))
                all_clear = json.dumps({"type": "all_clear", "alarm_id": alarm})
                if self.all_clear_s <= 0:
                    await ws.send(all_clear)
                else:
                    self._later(self.all_clear_s, ws, all_clear)

    def _later(self, delay_s: float, ws: Any, text: str) -> None:
        async def send() -> None:
            await asyncio.sleep(delay_s)
            with contextlib.suppress(Exception):  # the socket closed meanwhile: the run ends
                await ws.send(text)

        task = asyncio.create_task(send())
        self.sending_later.add(task)
        task.add_done_callback(self.sending_later.discard)

    async def quit(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    setup = json.loads(await reader.readline())
    gen = Generator(setup["url"], [tuple(h) for h in setup["handsets"]])
    sys.stdout.write(json.dumps({"ready": True}) + "\n")  # imports done: the clock may start
    sys.stdout.flush()
    while line := (await reader.readline()).decode().strip():
        answer: dict[str, Any] = {}
        if line == "storm":
            answer = await gen.storm()
        elif line == "offers":
            answer, gen.offers = {"offers": gen.offers}, []
        elif line.startswith("all_clear "):
            gen.all_clear_s = float(line.split()[1])
        elif line == "quit":
            await gen.quit()
        answer["cpu_s"] = _cpu_s()
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if line == "quit":
            return


if __name__ == "__main__":
    asyncio.run(main())
