"""The journal: appends each decision's events to the store in order, retrying until it sticks.

One writer task per office keeps an alarm's events in order without holding the dispatcher's
lock while the database is slow or down: dispatch stays live, and whoever needs durability (the
MQTT acknowledgement, a handset's answer) awaits the entry's future.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from app.core import events as ev
from app.service.ports import (
    AlarmStore,
    AlarmSummary,
    DuplicatePress,
    LeadershipLost,
    PressKey,
)

log = structlog.get_logger(__name__)

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0


@dataclass
class _Entry:
    summary: AlarmSummary
    events: Sequence[ev.Event]
    press: PressKey | None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Journal:
    def __init__(self, store: AlarmStore) -> None:
        self._store = store
        self._queues: dict[str, asyncio.Queue[_Entry]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self.failures = 0

    def submit(
        self, summary: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None = None
    ) -> asyncio.Future[None]:
        entry = _Entry(summary, events, press)
        self._queue(summary.office_id).put_nowait(entry)
        return entry.done

    def _queue(self, office_id: str) -> asyncio.Queue[_Entry]:
        if office_id not in self._queues:
            self._queues[office_id] = asyncio.Queue()
            self._writers[office_id] = asyncio.create_task(self._write_all(office_id))
        return self._queues[office_id]

    async def _write_all(self, office_id: str) -> None:
        queue = self._queues[office_id]
        while True:
            entry = await queue.get()
            try:
                await self._write(entry)
            except LeadershipLost:
                return  # this process may not write any more (it is exiting): nothing is acked
            finally:
                queue.task_done()

    async def _write(self, entry: _Entry) -> None:
        delay = RETRY_FIRST_S
        while True:
            try:
                await self._store.append(entry.summary, entry.events, entry.press)
            except DuplicatePress as dup:
                log.warning("press already recorded", press=str(dup.key), alarm_id=dup.alarm_id)
            except LeadershipLost as lost:  # another replica leads: never write again
                if not entry.done.done():
                    entry.done.set_exception(lost)
                raise
            except Exception as err:  # the database is down or busy: keep the entry, try again
                self.failures += 1
                log.error(
                    "journal write failed, retrying",
                    alarm_id=entry.summary.alarm_id,
                    error=repr(err),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if not entry.done.done():
                entry.done.set_result(None)
            return

    async def drain(self, limit_s: float = 10.0) -> None:
        """Wait until everything submitted so far is written (used at shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                for queue in list(self._queues.values()):
                    await queue.join()

    async def close(self, limit_s: float = 3.0) -> None:
        """Write what can be written within the limit, then stop retrying: an unwritten press
        was never acknowledged, so the broker delivers it again after the restart."""
        await self.drain(limit_s)
        for task in self._writers.values():
            task.cancel()
        for task in self._writers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def backlog(self) -> int:
        return sum(q.qsize() for q in self._queues.values())
