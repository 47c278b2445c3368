"""Supervision: what each trigger last said, and each office's coverage, checked on the clock
and whenever a device reports; a change of coverage is told to every handset of the office (the
leader's included) and shown to coordinators through the API and metrics.

Work is per office: a device report or a handset coming or going rechecks its own office only.
Presence changes are coalesced: the offices they touched are rechecked together once, shortly
after (`COALESCE_S`), so a storm of reconnecting handsets costs one check per office and burst,
not a check of every office per connect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from app.core.office import Office
from app.core.supervision import Coverage, CoverageStatus, DeviceHealth, Problem, coverage
from app.core.whereabouts import Whereabouts
from app.service.clock import Cancellable, Clock
from app.service.offices import OfficeDirectory
from app.service.presence import Presence
from app.service.whereabouts import Places

log = structlog.get_logger(__name__)

CHECK_EVERY = timedelta(seconds=10)
COALESCE_S = 0.25
"""How long presence changes gather before their offices are rechecked."""
CoverageListener = Callable[[str, Coverage], None]


class Supervision:
    def __init__(
        self,
        offices: OfficeDirectory,
        presence: Presence,
        clock: Clock,
        on_change: CoverageListener,
        gauge: Any | None = None,
        places: Places | None = None,
        more: Callable[[Office], list[Problem]] | None = None,
    ) -> None:
        self._places = places
        self._offices = offices
        self._presence = presence
        self._clock = clock
        self._on_change = on_change
        self._gauge = gauge
        self._more = more  # further reasons (phones not confirming pushes: app.service.reach)
        self._health: dict[str, DeviceHealth] = {}
        self._coverage: dict[str, Coverage] = {}
        self._timer: Cancellable | None = None
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        presence.watch_offices(self.presence_changed)

    def start(self, last_tested: dict[str, datetime]) -> None:
        """Every device starts as just heard of (its silence is measured from now on)."""
        now = self._clock.now()
        for office in self._offices.offices.values():
            for device_id in office.triggers:
                self._health[device_id] = DeviceHealth(
                    device_id, last_seen=now, last_tested=last_tested.get(device_id)
                )
        self.check()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._flush is not None:
            self._flush.cancel()

    def presence_changed(self, office_id: str) -> None:
        """A handset came or went: the office is rechecked soon, with others that changed."""
        self._dirty.add(office_id)
        if self._flush is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): recheck at once
            self._recheck_dirty()
            return
        self._flush = loop.call_later(COALESCE_S, self._recheck_dirty)

    def _recheck_dirty(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for office_id in dirty:
            if office_id in self._offices.offices:
                self._check_office(office_id)

    # -- what devices say --------------------------------------------------------------

    def observe_status(
        self, device_id: str, online: bool | None, battery: int | None, tamper: bool | None = None
    ) -> None:
        h = self._of(device_id)
        self._health[device_id] = replace(
            h,
            last_seen=self._clock.now(),
            online=online if online is not None else h.online,
            battery=battery if battery is not None else h.battery,
            tamper=tamper if tamper is not None else h.tamper,
        )
        self._check_device(device_id)

    def observe_press(
        self,
        device_id: str,
        battery: int | None = None,
        seq: int | None = None,
        boot: str | None = None,
    ) -> None:
        """A press was heard. A native press's `seq` below the last one of the same boot means
        its counter restarted unannounced: shown in coverage for a while, and logged."""
        h, now = self._of(device_id), self._clock.now()
        reset = h.counter_reset_at
        backwards = seq is not None and h.last_seq is not None and seq < h.last_seq
        if backwards and boot == h.boot:
            reset = now
            log.warning("press counter went backwards", device_id=device_id, seq=seq)
        self._health[device_id] = replace(
            h,
            last_seen=now,
            online=True,
            battery=battery if battery is not None else h.battery,
            last_seq=seq if seq is not None else h.last_seq,
            boot=boot if seq is not None else h.boot,
            counter_reset_at=reset,
        )
        if reset != h.counter_reset_at:
            self.check()

    def observe_test(self, device_id: str) -> None:
        now = self._clock.now()
        self._health[device_id] = replace(
            self._of(device_id), last_seen=now, last_tested=now, online=True
        )
        self._check_device(device_id)

    def _of(self, device_id: str) -> DeviceHealth:
        return self._health.get(device_id, DeviceHealth(device_id))

    # -- what coordinators and handsets see ---------------------------------------------

    def health(self) -> dict[str, DeviceHealth]:
        return dict(self._health)

    def coverage(self, office_id: str, pending_ok: bool = False) -> Coverage:
        """As of now. With `pending_ok` (a handset's welcome), while the office's recheck is
        pending the value computed last: that recheck tells every handset of the office, the new
        one included, if it changed, so the handset ends up where all the others are. A storm
        welcomed 40 handsets per office, each computing the office's coverage anew."""
        known = self._coverage.get(office_id)
        if pending_ok and known is not None and office_id in self._dirty:
            return known
        return self._compute(office_id)

    def check(self) -> None:
        """Recompute every office's coverage (silence grows with time alone); re-arm."""
        for office_id in self._offices.offices:
            self._check_office(office_id)
        self._rearm()

    def _check_device(self, device_id: str) -> None:
        office = self._offices.office_of_device(device_id)
        if office is not None:
            self._check_office(office.id)

    def _check_office(self, office_id: str) -> None:
        """Recompute one office's coverage; tell listeners when it changed."""
        fresh = self._compute(office_id)
        before = self._coverage.get(office_id)
        self._coverage[office_id] = fresh
        if before is None or (before.status, before.reasons) != (fresh.status, fresh.reasons):
            self._changed(office_id, before, fresh)

    def _compute(self, office_id: str) -> Coverage:
        office = self._offices.office(office_id)
        now = self._clock.now()
        local = now.astimezone(ZoneInfo(office.facts.timezone))
        where = self._places.snapshot(office_id, now) if self._places else Whereabouts()
        present = self._presence.present(office_id)
        found = coverage(office, self._health, present, now, local, where)
        more = self._more(office) if self._more is not None else []
        if not more:
            return found
        return Coverage(office_id, CoverageStatus.DEGRADED, (*found.problems, *more))

    def _changed(self, office_id: str, before: Coverage | None, fresh: Coverage) -> None:
        if self._gauge is not None:
            self._gauge.labels(office_id).set(1 if fresh.degraded else 0)
        if before is None and fresh.status is CoverageStatus.OK:
            return
        log.warning("coverage", office_id=office_id, status=fresh.status, reasons=fresh.reasons)
        self._on_change(office_id, fresh)

    def _rearm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._clock.call_at(self._clock.now() + CHECK_EVERY, self.check)
