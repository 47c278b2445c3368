"""The journal: appends each decision's events to the store in order, retrying until it sticks.

Entries are kept in order per office without holding the dispatcher's lock while the database
is slow or down: dispatch stays live, and whoever needs durability (the MQTT acknowledgement, a
handset's answer) awaits the entry's future.

Group commit: one writer task takes every entry pending, across offices, and writes them in ONE
transaction (one fsync) where the store can (`GroupCommit`); each entry's future is resolved
after that commit. With an fsync at tens of milliseconds on a busy disk, one transaction per
entry made a burst of a few hundred alarms queue for tens of seconds. An office's entries stay
in their order inside a batch, and an office whose entry is in a batch has no later entry
written before that batch commits. A batch that fails is written again one entry at a time, so
one entry the database refuses holds back only its own office (retried with backoff, as before),
never the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from app.core import events as ev
from app.service.ports import (
    AlarmStore,
    AlarmSummary,
    Append,
    DuplicatePress,
    GroupCommit,
    LeadershipLost,
    PressKey,
    StoredEvent,
)

log = structlog.get_logger(__name__)

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0
BATCH_MAX = 256
"""Entries in one transaction at most: a batch holds SQLite's write lock while it runs."""


@dataclass
class _Entry:
    summary: AlarmSummary
    events: Sequence[ev.Event]
    press: PressKey | None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def args(self) -> Append:
        return (self.summary, self.events, self.press)


class Journal:
    def __init__(self, store: AlarmStore) -> None:
        self._store = store
        self._pending: dict[str, deque[_Entry]] = {}
        self._retry_at: dict[str, float] = {}  # office → when its failed entry is tried again
        self._delay: dict[str, float] = {}
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None
        self.failures = 0

    def submit(
        self, summary: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None = None
    ) -> asyncio.Future[None]:
        entry = _Entry(summary, events, press)
        self._pending.setdefault(summary.office_id, deque()).append(entry)
        self._idle.clear()
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        return entry.done

    async def _write_all(self) -> None:
        while True:
            batch = await self._take()
            self._in_flight = len(batch)
            try:
                await self._write(batch)
            except LeadershipLost as lost:  # another replica leads: never write again
                for entry in batch:  # nothing of it is acknowledged; the process is exiting
                    if not entry.done.done():
                        entry.done.set_exception(lost)
                return
            finally:
                self._in_flight = 0
                if not any(self._pending.values()):
                    self._idle.set()

    async def _take(self) -> list[_Entry]:
        """Every entry pending (up to BATCH_MAX), offices in turn, each office's in order;
        offices waiting out a failure's backoff are left for later."""
        while True:
            self._wake.clear()
            now, batch = time.monotonic(), list[_Entry]()
            for office_id, queue in self._pending.items():
                if self._retry_at.get(office_id, 0.0) > now:
                    continue
                while queue and len(batch) < BATCH_MAX:
                    batch.append(queue.popleft())
            if batch:
                return batch
            waits = [at - now for o, at in self._retry_at.items() if self._pending.get(o)]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(waits) if waits else None):
                    await self._wake.wait()

    async def _write(self, batch: list[_Entry]) -> None:
        if len(batch) > 1 and isinstance(self._store, GroupCommit):
            try:
                results = await self._store.append_many([e.args for e in batch])
            except LeadershipLost:
                raise
            except Exception as err:  # written again one by one: who is to blame is found
                log.warning(
                    "journal batch failed, writing one by one", size=len(batch), error=repr(err)
                )
            else:
                for entry, result in zip(batch, results, strict=True):
                    self._settle(entry, result)
                return
        await self._one_by_one(batch)

    async def _one_by_one(self, batch: list[_Entry]) -> None:
        held: dict[str, list[_Entry]] = {}  # offices whose entry failed: the rest waits behind it
        for entry in batch:
            office_id = entry.summary.office_id
            if office_id in held:
                held[office_id].append(entry)
                continue
            try:
                result: list[StoredEvent] | DuplicatePress = await self._store.append(*entry.args)
            except DuplicatePress as dup:
                result = dup
            except LeadershipLost:
                raise
            except Exception as err:  # the database is down or busy: keep the entry, try again
                self.failures += 1
                log.error(
                    "journal write failed, retrying",
                    alarm_id=entry.summary.alarm_id,
                    error=repr(err),
                )
                held[office_id] = [entry]
                continue
            self._settle(entry, result)
        for office_id, entries in held.items():
            self._pending[office_id].extendleft(reversed(entries))
            delay = self._delay.get(office_id, RETRY_FIRST_S)
            self._retry_at[office_id] = time.monotonic() + delay
            self._delay[office_id] = min(delay * 2, RETRY_MAX_S)

    def _settle(self, entry: _Entry, result: list[StoredEvent] | DuplicatePress) -> None:
        office_id = entry.summary.office_id
        self._retry_at.pop(office_id, None)
        self._delay.pop(office_id, None)
        if isinstance(result, DuplicatePress):
            log.warning("press already recorded", press=str(result.key), alarm_id=result.alarm_id)
        if not entry.done.done():
            entry.done.set_result(None)

    async def drain(self, limit_s: float = 10.0) -> None:
        """Wait until everything submitted so far is written (used at shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                await self._idle.wait()

    async def close(self, limit_s: float = 3.0) -> None:
        """Write what can be written within the limit, then stop retrying: an unwritten press
        was never acknowledged, so the broker delivers it again after the restart."""
        await self.drain(limit_s)
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    @property
    def backlog(self) -> int:
        return sum(len(q) for q in self._pending.values()) + self._in_flight
