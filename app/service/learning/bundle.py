"""The learning services in one bundle (one field in Services), and the office's readiness.

Readiness is what a leader or safety coordinator should act on now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.learning.drills import Window
from app.core.learning.outreach import is_overdue
from app.core.learning.readiness import DEFAULT_CADENCE_MONTHS, drill_due
from app.core.learning.terms import DebriefStatus
from app.service.clock import Clock
from app.service.learning.debriefs import Debriefs
from app.service.learning.drills import Drills
from app.service.learning.incidents import Incidents
from app.service.learning.outreach import Outreach, RaiseAlarm
from app.service.learning.ports import LearningStore
from app.service.learning.retention import Retention
from app.service.learning.statistics import Statistics
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore


@dataclass(frozen=True)
class Readiness:
    office_id: str
    at: datetime
    drill_cadence_months: int
    cadence_set: bool  # False: the default cadence applies
    last_drill_at: datetime | None
    days_since_last_drill: int | None
    next_drill_due: datetime | None
    drill_overdue: bool
    days_overdue: int | None
    drill_open: Window | None
    open_debriefs: int
    oldest_open_debrief_at: datetime | None
    active_outreach: int
    overdue_outreach: int  # active sessions past their check-out and grace, alarm or not
    outreach_alarm_problem: str | None
    free_text_days: int


@dataclass
class Learning:
    store: LearningStore
    clock: Clock
    statistics: Statistics
    drills: Drills
    debriefs: Debriefs
    incidents: Incidents
    outreach: Outreach
    retention: Retention

    @classmethod
    def build(
        cls,
        store: LearningStore,
        alarms: AlarmStore,
        offices: OfficeDirectory,
        clock: Clock,
        raise_alarm: RaiseAlarm,
        debriefs: Debriefs | None = None,
    ) -> Learning:
        """`debriefs` may be built first (the dispatcher's closing hook needs it early)."""
        statistics = Statistics(store, alarms, offices, clock)
        return cls(
            store=store,
            clock=clock,
            statistics=statistics,
            drills=Drills(store, statistics, clock),
            debriefs=debriefs or Debriefs(store, alarms, offices, clock),
            incidents=Incidents(store, offices, clock),
            outreach=Outreach(store, offices, clock, raise_alarm),
            retention=Retention(store, clock, alarms),
        )

    async def start(self) -> None:
        """Load the open drill windows and arm the outreach timers (before presses arrive)."""
        await self.drills.load()
        await self.outreach.load()

    async def close(self) -> None:
        await self.outreach.close()

    async def readiness(self, office_id: str) -> Readiness:
        now = self.clock.now()
        cadence = await self.drills.cadence(office_id)
        due = drill_due(
            await self.drills.last_finished(office_id), cadence or DEFAULT_CADENCE_MONTHS, now
        )
        debriefs = await self.debriefs.for_office(office_id)
        still_open = [v.debrief for v in debriefs if v.debrief.status is DebriefStatus.OPEN]
        active = [s for s in await self.store.active_sessions() if s.office_id == office_id]
        return Readiness(
            office_id=office_id,
            at=now,
            drill_cadence_months=due.cadence_months,
            cadence_set=cadence is not None,
            last_drill_at=due.last_drill_at,
            days_since_last_drill=None
            if due.last_drill_at is None
            else (now - due.last_drill_at).days,
            next_drill_due=due.due_at,
            drill_overdue=due.overdue,
            days_overdue=due.days_overdue,
            drill_open=self.drills.open_drill(office_id),
            open_debriefs=len(still_open),
            oldest_open_debrief_at=min((d.created_at for d in still_open), default=None),
            active_outreach=len(active),
            overdue_outreach=sum(
                1 for s in active if is_overdue(s.status, s.planned_end, s.grace_s, now)
            ),
            outreach_alarm_problem=self.outreach.alarm_problem(office_id),
            free_text_days=await self.retention.days(office_id),
        )
