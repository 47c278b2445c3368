"""What follows an alarm's close, off the answer's path: the people it kept busy are offered
what the office's other alarms could not fill, and the after-close hook (the debrief) runs.
A mixin of the dispatcher, whose attributes it names."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

from app.core.alarm import AlarmState
from app.core.facts import split_guest
from app.core.office import Office
from app.service.offices import OfficeDirectory

log = structlog.get_logger(__name__)


class AfterClose:
    _offices: OfficeDirectory
    _on_closed: Callable[[str], Awaitable[object]] | None
    _closing: set[asyncio.Task[None]]

    async def person_arrived(self, office: Office, person_id: str) -> None:
        raise NotImplementedError

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _freed(self, office_id: str, closed: AlarmState) -> None:
        """The people a closed alarm kept busy are free: offer them what the office's other
        alarms could not fill meanwhile (after a restart, the leader's role above all)."""
        freed = {p for s in closed.slots for p in (s.holder_id, *s.responders) if p}
        office = self._offices.office(office_id)
        for person in sorted(p for p in freed if split_guest(p) is None):
            try:
                await self.person_arrived(office, person)
            except Exception as err:  # an offer that fails must not touch the closed alarm
                log.error("offer to a freed person failed", person_id=person, error=repr(err))

    async def _closed(self, alarm_id: str) -> None:
        """After an alarm closes (its debrief opens); never holds up a handset's answer."""
        assert self._on_closed is not None
        try:
            await self._on_closed(alarm_id)
        except Exception as err:  # a failing listener must not touch the alarm
            log.error("after-close hook failed", alarm_id=alarm_id, error=repr(err))
