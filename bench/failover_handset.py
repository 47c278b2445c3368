"""A handset of `rollekort bench failover`, connected through HAProxy, that does what the handset
page does when its replica dies: reconnect with the page's backoff (`simulator.handset_backoff`,
read from hs-state.js: the first try after 50-250 ms, then 0.25-0.5 s, 0.5-1 s, ... doubling; a
standby's 1013 "not leading" quickly again; or every 50 ms for the floor) while no replica leads
(HAProxy answers 503), say hello, and take the offers the new leader sends on every
(re)connect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from simulator.handset_backoff import not_leading, page_backoff

FAST_RETRY_S = 0.05
"""Between reconnect attempts of a `fast` handset: what the service and HAProxy allow."""


class Handset:
    """`page=True` waits between attempts as the handset page does; else `FAST_RETRY_S`."""

    def __init__(self, url: str, token: str, page: bool = True) -> None:
        self.url, self.token = url, token
        self.backoff = page_backoff() if page else None
        self.ws: Any = None
        self.seen: set[str] = set()  # alarms already offered: a snapshot repeats open ones
        self.reconnects = 0

    async def connect(self, timeout_s: float) -> float:
        """Connected and welcomed, retrying until `timeout_s`; the monotonic time of welcome."""
        attempt, quick = 0, False
        quick_left = self.backoff.quick_retries if self.backoff else 0
        async with asyncio.timeout(timeout_s):
            while True:
                if self.backoff is not None:  # the page waits before its first attempt too
                    await asyncio.sleep(self.backoff.delay(attempt, quick))
                    attempt += 0 if quick else 1
                try:
                    return await self._hello()
                except ConnectionClosed as gone:  # a standby's 1013 "not leading": quick again
                    await self.close()
                    quick = not_leading(gone) and quick_left > 0
                    quick_left -= quick
                except (TimeoutError, OSError, InvalidHandshake):
                    await self.close()
                    quick = False
                if self.backoff is None:
                    await asyncio.sleep(FAST_RETRY_S)

    async def _hello(self) -> float:
        self.ws = await websockets.connect(self.url, open_timeout=2, close_timeout=0.5)
        self.reconnects += 1
        await self.ws.send(json.dumps({"type": "hello", "token": self.token}))
        async with asyncio.timeout(5):
            while True:
                frame, arrived = await self._frame()
                if frame["type"] == "welcome":
                    return arrived

    async def _frame(self) -> tuple[dict[str, Any], float]:
        raw = await self.ws.recv()
        arrived = time.monotonic()
        frame: dict[str, Any] = json.loads(raw)
        if frame["type"] == "ping":
            await self.ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
        return frame, arrived

    async def until(
        self, frame_type: str, alarm_id: str | None = None
    ) -> tuple[dict[str, Any], float]:
        """The next frame of a type (for an alarm, if given); ConnectionClosed if the socket
        drops meanwhile."""
        while True:
            frame, arrived = await self._frame()
            if frame["type"] == frame_type and alarm_id in (None, frame.get("alarm_id")):
                return frame, arrived

    async def new_offer(self, timeout_s: float) -> tuple[dict[str, Any], float, float | None]:
        """The next offer of an alarm not offered before, reconnecting through any number of
        drops; (frame, arrival, time of the last welcome if it had to reconnect)."""
        welcomed: float | None = None
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    frame, arrived = await self.until("alarm")
                except (ConnectionClosed, InvalidStatus, OSError):
                    await self.close()
                    welcomed = await self.connect(timeout_s)
                    continue
                if frame["alarm_id"] not in self.seen:
                    self.seen.add(frame["alarm_id"])
                    return frame, arrived, welcomed

    async def close_alarm(self, offer: dict[str, Any], timeout_s: float = 10.0) -> None:
        """Accept the offered role and give the all-clear, as a leader would, so the next
        press raises a new alarm."""
        alarm_id, role_id = offer["alarm_id"], offer["offer"]["role_id"]
        async with asyncio.timeout(timeout_s):
            await self.ws.send(
                json.dumps({"type": "accept", "alarm_id": alarm_id, "role_id": role_id})
            )
            await self.ws.send(json.dumps({"type": "all_clear", "alarm_id": alarm_id}))
            await self.until("alarm_closed", alarm_id)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(OSError, ConnectionClosed):
                await self.ws.close()
            self.ws = None
