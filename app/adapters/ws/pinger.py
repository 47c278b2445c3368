"""One round pings every handset: a timer task for all of them instead of one per socket.

Why: with 20,000 handsets connected, a sleeping task per socket is 20,000 timers on the loop and
20,000 wake-ups every interval, each a task switch (issue 13: the pings were the largest steady
cost at scale). Here the handsets are spread over `SLOTS` slots; every `interval / SLOTS` one
slot is pinged, so each handset is still pinged once per interval, and the work comes in even
small batches rather than in one wave after a reconnect storm.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

SLOTS = 20


class Pinged(Protocol):
    def ping_due(self) -> bool:
        """Ping now (and count the last ping as missed if unanswered); False: leave the round."""
        ...


class PingRound:
    """`join()` a welcomed handset, `leave()` when it goes; `close()` at shutdown."""

    def __init__(self, interval_s: float, slots: int = SLOTS) -> None:
        self._tick_s = interval_s / slots
        self._slots: list[set[Pinged]] = [set() for _ in range(slots)]
        self._slot_of: dict[Pinged, int] = {}
        self._next = 0  # the slot the next joiner goes to: round-robin keeps the slots even
        self._task: asyncio.Task[None] | None = None
        self._closed = False  # shutting down: a late joiner starts no new task

    def __len__(self) -> int:
        return len(self._slot_of)

    def join(self, member: Pinged) -> None:
        if member in self._slot_of:
            return
        slot = self._next
        self._next = (self._next + 1) % len(self._slots)
        self._slots[slot].add(member)
        self._slot_of[member] = slot
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def leave(self, member: Pinged) -> None:
        slot = self._slot_of.pop(member, None)
        if slot is not None:
            self._slots[slot].discard(member)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        slot = 0
        while True:
            await asyncio.sleep(self._tick_s)
            slot = (slot + 1) % len(self._slots)
            for member in list(self._slots[slot]):
                self._ping(member)

    def _ping(self, member: Pinged) -> None:
        try:
            stays = member.ping_due()
        except Exception:  # one handset's failure must not stop every other handset's pings
            log.exception("handset ping failed")
            stays = False
        if not stays:
            self.leave(member)
