"""Free-text retention, because free text may name people and must not be kept forever.

Debrief texts, incident notes, outreach places and notes and drill notes are blanked once older
than the office's period (365 days unless it sets another).

Free text may name people despite the warning beside every field; keeping it only as long as
the office needs it is the safeguard. The handset texts in alarm timelines (help text, decline
reason, all-clear note) are blanked by the same period: the hash chain covers their digest, which
stays in the row, so the timeline still verifies (`AlarmStore.redact_free_text`).
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from app.core.learning.readiness import DEFAULT_FREE_TEXT_DAYS, retention_cutoff
from app.service.clock import Clock
from app.service.learning.ports import LearningStore, PurgeCounts
from app.service.ports import AlarmStore

log = structlog.get_logger(__name__)


class Retention:
    def __init__(self, store: LearningStore, clock: Clock, alarms: AlarmStore) -> None:
        self._store = store
        self._clock = clock
        self._alarms = alarms

    async def days(self, office_id: str) -> int:
        return (await self._store.retention()).get(office_id, DEFAULT_FREE_TEXT_DAYS)

    async def set_days(self, office_id: str, days: int, by: str) -> None:
        await self._store.set_retention(office_id, days, self._clock.now(), by)
        log.info("retention set", office_id=office_id, free_text_days=days, by=by)

    async def purge(self, office_ids: Iterable[str] | None = None) -> dict[str, PurgeCounts]:
        """Blank what is past each office's period; every office with data when none is named."""
        now = self._clock.now()
        settings = await self._store.retention()
        offices = sorted(await self._store.office_ids() if office_ids is None else set(office_ids))
        done: dict[str, PurgeCounts] = {}
        for office_id in offices:
            before = retention_cutoff(now, settings.get(office_id, DEFAULT_FREE_TEXT_DAYS))
            done[office_id] = await self._store.purge_free_text(office_id, before, now)
            if done[office_id].total:
                log.info("free text purged", office_id=office_id, **vars(done[office_id]))
            redacted = await self._alarms.redact_free_text(before, [office_id])
            if redacted:
                log.info("timeline free text redacted", office_id=office_id, events=redacted)
        return done
