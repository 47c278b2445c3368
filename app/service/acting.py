"""Acting leaders on the idle receiver (req. 5): when a delegation's first day starts or its last
day ends in an office's time zone, every connected handset of the office is sent its person's
standing roles again, so the stand-in sees "acting for" the day it begins and the absent holder's
screen stops naming the role, without waiting for a reconnect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog

from app.core.office import Office
from app.core.variants import delegations_on
from app.service.clock import Cancellable, Clock
from app.service.offices import OfficeDirectory

log = structlog.get_logger(__name__)

CHECK_EVERY = timedelta(minutes=1)
"""How often the offices' days are looked at: a new day shows within a minute of midnight."""


class ActingWatch:
    def __init__(
        self, offices: OfficeDirectory, clock: Clock, on_change: Callable[[Office], None]
    ) -> None:
        self._offices = offices
        self._clock = clock
        self._on_change = on_change
        self._seen: dict[str, frozenset[tuple[str, str]]] = {}
        self._timer: Cancellable | None = None

    def start(self) -> None:
        self.check()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def check(self) -> None:
        """Compare each office's delegations in force today with the last look; re-arm."""
        now = self._clock.now()
        for office in list(self._offices.offices.values()):
            today = now.astimezone(ZoneInfo(office.facts.timezone)).date()
            acting = delegations_on(office, today)
            before = self._seen.get(office.id)
            self._seen[office.id] = acting
            if before is not None and before != acting:
                log.info("acting persons changed", office_id=office.id, acting=len(acting))
                self._on_change(office)
        self._timer = self._clock.call_at(now + CHECK_EVERY, self.check)
