"""How long to wait before connecting to the broker again, and waiting for the first of events."""

from __future__ import annotations

import asyncio
import logging
import math
import time

log = logging.getLogger(__name__)


class Backoff:
    """paho's reconnect delays (`low`, doubling up to `high`; from the start after a CONNACK),
    raised after handler failures so that a failing handler is not retried in a tight loop."""

    def __init__(self, low: float, high: float) -> None:
        self._low, self._high = low, high
        self._floor = low  # the first delay after a connection; raised after handler failures
        self._delay: float | None = None
        self._failures = 0
        self._last_failure_at = -math.inf

    def next_wait(self) -> float:
        self._delay = self._floor if self._delay is None else min(self._delay * 2, self._high)
        return self._delay

    def connected(self) -> None:
        self._delay = None

    def after_failure(self) -> float:
        """1, 2, 4 ... s for failures in a row; the count starts again after a quiet spell."""
        now = time.monotonic()
        if now - self._last_failure_at > 2 * self._high:
            self._failures = 0
        self._failures += 1
        self._last_failure_at = now
        self._floor = min(self._low * 2 ** (self._failures - 1), self._high)
        self._delay = None
        return self._floor

    def after_ack(self) -> None:
        """A handler succeeded: network outages start again from the shortest delay."""
        if self._floor != self._low:
            log.debug("reconnect delay back to %s s", self._low)
            self._floor, self._delay = self._low, None


async def first_of(*events: asyncio.Event, within_s: float) -> None:
    """Until one of `events` is set or `within_s` seconds passed."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
