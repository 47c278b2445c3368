"""Outreach sessions, so a missed check-out or a panic from the phone becomes a real alarm.

A check-out missed by the grace period, or a panic, raises an alarm through the dispatcher as
the office's `outreach` device, so the office's card (and its variants for that device) routes
it like any press.

"Alarm på kontoret er litt tull, da burde jeg også hatt det på t-banen" (report 7): the check-out
timer is the alarm that goes with the staff member. Timers use the Clock port, so tests advance a
manual clock; after a restart the active sessions' timers are armed again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from app.core.learning.outreach import (
    MAX_SESSION_H,
    OUTREACH_DEVICE,
    Checklist,
    alarm_key,
    checkout_due_at,
    is_overdue,
)
from app.core.learning.terms import AlarmReason, SessionStatus
from app.core.office import AlarmMode, Gesture, TriggerKind
from app.service.clock import Cancellable, Clock
from app.service.dispatcher import Dispatcher, alarm_id_for
from app.service.learning.ports import (
    Conflict,
    Invalid,
    LearningStore,
    NotFound,
    OutreachRow,
    new_id,
)
from app.service.offices import OfficeDirectory
from app.service.ports import PressKey

log = structlog.get_logger(__name__)

RaiseAlarm = Callable[[str, str, str, str], Awaitable[str | None]]
"""(office_id, device_id, key_suffix, person_id) → the alarm id; raises or returns None if it
failed. `person_id` is the worker who is out: the alarm names her, not the device's holder."""


def dispatcher_raiser(offices: OfficeDirectory, dispatcher: Dispatcher) -> RaiseAlarm:
    """Raise an outreach alarm as a `hold` press of the device, always `real` (someone alone
    outside the office is never a drill because the office is drilling). The press key is
    the session and reason, so a second attempt finds the same alarm; two sessions in trouble
    at once are two alarms, each naming its own worker."""

    async def raise_alarm(
        office_id: str, device_id: str, key_suffix: str, person_id: str
    ) -> str | None:
        key = PressKey(device_id, 0, f"outreach:{key_suffix}")
        office = offices.office(office_id)
        raised = await dispatcher.press(
            office, key, Gesture.HOLD, mode=AlarmMode.REAL, presser_id=person_id
        )
        return raised or alarm_id_for(key)

    return raise_alarm


class Outreach:
    def __init__(
        self,
        store: LearningStore,
        offices: OfficeDirectory,
        clock: Clock,
        raise_alarm: RaiseAlarm,
    ) -> None:
        self._store = store
        self._offices = offices
        self._clock = clock
        self._raise = raise_alarm
        self._timers: dict[str, Cancellable] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._lock = asyncio.Lock()
        # told when a session's alarm is raised (office, alarm, worker, planned place): the
        # handsets hear where the worker is; the place stays out of the alarm's timeline (req. 36)
        self.on_raised: Callable[[str, str, str, str], None] | None = None

    async def load(self) -> None:
        """Arm the check-out timer of every active session (at once for those already due)."""
        for row in await self._store.active_sessions():
            self._arm(row)

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def alarm_problem(self, office_id: str) -> str | None:
        """Why an alarm from outreach cannot be raised in this office, or None if it can."""
        office = self._offices.offices.get(office_id)
        trigger = office.triggers.get(OUTREACH_DEVICE) if office else None
        if trigger is None or trigger.kind is not TriggerKind.WORN:
            return f"the office file lists no worn device {OUTREACH_DEVICE!r}: no alarm is raised"
        return None

    async def start(
        self,
        office_id: str,
        person_id: str,
        place: str,
        planned_end: datetime,
        companions: Sequence[str],
        checklist: Checklist,
        grace_s: int,
    ) -> OutreachRow:
        now = self._clock.now()
        self._check_people(office_id, [person_id, *companions])
        self._check_end(planned_end, now)
        row = OutreachRow(
            session_id=new_id("os"),
            office_id=office_id,
            person_id=person_id,
            place=place,
            started_at=now,
            planned_end=planned_end,
            grace_s=grace_s,
            companions=tuple(dict.fromkeys(c for c in companions if c != person_id)),
            checklist=vars(checklist).copy(),
        )
        await self._store.add_session(row)
        self._arm(row)
        log.info("outreach started", office_id=office_id, session_id=row.session_id)
        return row

    async def session(self, session_id: str) -> OutreachRow:
        row = await self._store.session(session_id)
        if row is None:
            raise NotFound(f"outreach session {session_id!r}")
        return row

    async def checkin(self, session_id: str, planned_end: datetime | None = None) -> OutreachRow:
        """All well: recorded, and the planned end moved if a new one is given."""
        async with self._lock:
            row = await self.session(session_id)
            if row.status is not SessionStatus.ACTIVE:
                raise Conflict("session_not_active", f"session {session_id!r} is {row.status}")
            now = self._clock.now()
            if planned_end is not None:
                self._check_end(planned_end, now)
            saved = replace(row, last_checkin_at=now, planned_end=planned_end or row.planned_end)
            await self._store.save_session(saved)
            self._arm(saved)
            return saved

    async def checkout(self, session_id: str, note: str | None = None) -> OutreachRow:
        """Back safe. An alarm already raised goes on until the leader gives the all-clear.
        Without an alarm, where the visit was (perhaps a client's address) is no longer needed
        and is blanked at once; with one, the debrief may need it until the retention purge."""
        async with self._lock:
            row = await self.session(session_id)
            self._disarm(session_id)
            saved = replace(
                row,
                status=SessionStatus.CHECKED_OUT,
                checked_out_at=row.checked_out_at or self._clock.now(),
                note=row.note if note is None else note,
                place=row.place if row.alarm_id else "",
            )
            if saved != row:
                await self._store.save_session(saved)
            return saved

    async def panic(self, session_id: str) -> OutreachRow:
        async with self._lock:
            row = await self.session(session_id)
            if row.status is SessionStatus.CHECKED_OUT:
                raise Conflict("session_not_active", f"session {session_id!r} is checked out")
            self._disarm(session_id)
            return await self._alarm(row, AlarmReason.PANIC)

    async def overdue_alarm(self, session_id: str) -> OutreachRow | None:
        """The timer's task: raise the alarm if the session is still active and overdue."""
        async with self._lock:
            row = await self._store.session(session_id)
            if row is None or row.status is not SessionStatus.ACTIVE:
                return row
            if not is_overdue(row.status, row.planned_end, row.grace_s, self._clock.now()):
                self._arm(row)  # moved by a check-in meanwhile
                return row
            return await self._alarm(row, AlarmReason.OVERDUE)

    async def _alarm(self, row: OutreachRow, reason: AlarmReason) -> OutreachRow:
        problem = self.alarm_problem(row.office_id)
        alarm_id: str | None = None
        if problem is None:
            try:
                key = alarm_key(row.session_id, reason)
                alarm_id = await self._raise(row.office_id, OUTREACH_DEVICE, key, row.person_id)
            except Exception as err:  # the session must record it; the service goes on
                problem = f"the alarm could not be raised ({type(err).__name__})"
            if alarm_id is None and problem is None:
                problem = "the alarm could not be raised"
        if problem is not None:
            log.error(
                "outreach alarm not raised",
                office_id=row.office_id,
                session_id=row.session_id,
                reason=reason.value,
                problem=problem,
            )
            saved = replace(row, error=problem, alarm_reason=reason)
        else:
            log.warning("outreach alarm raised", session_id=row.session_id, reason=reason.value)
            if self.on_raised is not None and alarm_id is not None:
                self.on_raised(row.office_id, alarm_id, row.person_id, row.place)
            alarmed = SessionStatus.ALARMED
            saved = replace(row, status=alarmed, alarm_id=alarm_id, alarm_reason=reason, error=None)
        await self._store.save_session(saved)
        return saved

    def _check_people(self, office_id: str, people: Sequence[str]) -> None:
        office = self._offices.offices.get(office_id)
        unknown = [p for p in people if office is None or p not in office.people]
        if unknown:
            raise Invalid("unknown_person", f"not on the office's staff: {', '.join(unknown)}")

    def _check_end(self, planned_end: datetime, now: datetime) -> None:
        if not now < planned_end <= now + timedelta(hours=MAX_SESSION_H):
            raise Invalid(
                "bad_planned_end", f"planned_end must be in the next {MAX_SESSION_H} hours"
            )

    def _arm(self, row: OutreachRow) -> None:
        self._disarm(row.session_id)
        due = checkout_due_at(row.planned_end, row.grace_s)
        session_id = row.session_id
        self._timers[session_id] = self._clock.call_at(due, lambda: self._spawn(session_id))

    def _disarm(self, session_id: str) -> None:
        timer = self._timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()

    def _spawn(self, session_id: str) -> None:
        self._timers.pop(session_id, None)
        task: asyncio.Task[object] = asyncio.ensure_future(self.overdue_alarm(session_id))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outreach timer failed", error=repr(task.exception()))
