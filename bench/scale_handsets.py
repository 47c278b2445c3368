"""A load-generator process of `rollekort bench scale`: holds its share of the handsets.

Reads one JSON line on stdin: `{"url": ..., "handsets": [[office_id, token, leader], ...]}`,
then commands, one a line, and answers each with one JSON line on stdout:
- `storm`: every handset connects and says hello at once; answers when all are welcomed or
  failed: how many, the time of each welcome (CLOCK_MONOTONIC, the same in every process here).
- `offers`: the offers received since the last `offers` (device id, time); a leader accepts its
  offer and gives the all-clear, so the alarm closes and the office can press again.
- `quit`: closes every connection and exits.
Every answer carries this process's CPU seconds, so a run shows who was the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import sys
import time
from typing import Any

import websockets

HELLO_TIMEOUT_S = 120.0
TRY_AGAIN_LATER = 1013
RETRIES_1013 = 40  # about 20 minutes at 30 s: a handset app never gives up


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Generator:
    def __init__(self, url: str, handsets: list[tuple[str, str, bool]]) -> None:
        self.url, self.handsets = url, handsets
        self.welcomed: list[float] = []
        self.welcomed_tokens: list[str] = []
        self.failed: list[str] = []
        self.offers: list[tuple[str, float]] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.done = 0
        self.retried = 0  # hellos refused with 1013 and tried again
        self.all_done = asyncio.Event()

    async def storm(self) -> dict[str, Any]:
        self.all_done.clear()
        self.tasks = [asyncio.create_task(self._handset(*h)) for h in self.handsets]
        await self.all_done.wait()
        return {
            "welcomed": self.welcomed,
            "tokens": self.welcomed_tokens,
            "failed": len(self.failed),
            "retried": self.retried,
            "errors": self.failed[:5],
        }

    def _settled(self) -> None:
        self.done += 1
        if self.done == len(self.handsets):
            self.all_done.set()

    async def _handset(self, office_id: str, token: str, leader: bool) -> None:
        """Connect and say hello; on 1013 (the service's cap on sockets waiting for hello), try
        again after the handset app's backoff: 1 s doubling to 30 s, half of it random."""
        for attempt in range(RETRIES_1013 + 1):
            try:
                await self._connect(token, leader)
                return
            except websockets.ConnectionClosed as err:  # refused with 1013 (see _connect)
                if attempt == RETRIES_1013:
                    self._failed(err, welcomed=False)
                    return
            self.retried += 1
            base = min(30.0, 2.0**attempt)
            await asyncio.sleep(base / 2 + random.random() * base / 2)

    async def _connect(self, token: str, leader: bool) -> None:
        welcomed = False
        try:
            async with websockets.connect(
                self.url, open_timeout=HELLO_TIMEOUT_S, ping_interval=None, max_queue=None
            ) as ws:
                await ws.send(json.dumps({"type": "hello", "token": token}))
                async for raw in ws:
                    at = time.monotonic()
                    if not welcomed:
                        welcomed = True
                        self.welcomed.append(at)
                        self.welcomed_tokens.append(token)
                        self._settled()
                    await self._on_frame(ws, raw, at, leader)
        except websockets.ConnectionClosed as err:
            if not welcomed and err.rcvd is not None and err.rcvd.code == TRY_AGAIN_LATER:
                raise  # tried again by _handset
            self._failed(err, welcomed)
        except Exception as err:  # counted, not raised: a storm reports what failed
            self._failed(err, welcomed)

    def _failed(self, err: Exception, welcomed: bool) -> None:
        if not welcomed:
            self.failed.append(f"{type(err).__name__}: {err}"[:200])
            self._settled()

    async def _on_frame(self, ws: Any, raw: str | bytes, at: float, leader: bool) -> None:
        frame: dict[str, Any] = json.loads(raw)
        kind = frame.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
        elif kind == "alarm" and frame.get("offer"):
            self.offers.append((frame["trigger"]["device_id"], at))
            role = frame["offer"]["role_id"]
            if leader and role == "leader":
                alarm = frame["alarm_id"]
                await ws.send(json.dumps({"type": "accept", "alarm_id": alarm, "role_id": role}))
                await ws.send(json.dumps({"type": "all_clear", "alarm_id": alarm}))

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
        elif line == "quit":
            await gen.quit()
        answer["cpu_s"] = _cpu_s()
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if line == "quit":
            return


if __name__ == "__main__":
    asyncio.run(main())
