"""A manual clock: time moves only when a test says so, and due callbacks then run in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(order=True)
class _Timer:
    when: datetime
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self._now = start
        self._timers: list[_Timer] = []
        self._order = 0

    def now(self) -> datetime:
        return self._now

    def call_at(self, when: datetime, callback: Callable[[], None]) -> _Timer:
        self._order += 1
        timer = _Timer(when, self._order, callback)
        self._timers.append(timer)
        return timer

    @property
    def pending(self) -> list[datetime]:
        return sorted(t.when for t in self._timers if not t.cancelled)

    async def advance(self, seconds: float) -> None:
        """Move time forward, firing every callback that falls due on the way, then let the
        tasks they started run to completion."""
        target = self._now + timedelta(seconds=seconds)
        while True:
            due = sorted(t for t in self._timers if not t.cancelled and t.when <= target)
            if not due:
                break
            timer = due[0]
            self._timers.remove(timer)
            self._now = max(self._now, timer.when)
            timer.callback()
            await settle()
        self._now = target
        await settle()


async def settle(rounds: int = 50) -> None:
    """Give spawned tasks a chance to finish (they only await in-memory fakes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
