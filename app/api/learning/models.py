"""Response models of the learning API, built from the services' rows and the core's figures.

Statistics, readiness and scorecards carry role ids and numbers only: nothing in them names a
person, so no per-person table can be read out of the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from app.core.briefing import Briefing
from app.core.learning.drills import Comparison, Scorecard
from app.core.learning.figures import DeviationCount, Spread
from app.core.learning.readiness import CardReview
from app.core.learning.statistics import ModeFigures, OfficeStatistics, RoleFigures
from app.core.learning.terms import IncidentKind, Realism
from app.core.office import AlarmMode
from app.service.learning.bundle import Readiness
from app.service.learning.drills import DrillReport
from app.service.learning.ports import DrillRow, IncidentRow

FREE_TEXT_NOTICE = (
    "Write no client names or other identifying details. Free text is deleted after {days} days."
)


class SpreadOut(BaseModel):
    count: int
    median_s: float | None
    p90_s: float | None

    @classmethod
    def of(cls, s: Spread) -> SpreadOut:
        return cls(count=s.count, median_s=s.median_s, p90_s=s.p90_s)


class RoleFiguresOut(BaseModel):
    role_id: str
    alarms: int
    taken: int
    unclaimed: int
    time_to_accept: SpreadOut

    @classmethod
    def of(cls, r: RoleFigures) -> RoleFiguresOut:
        return cls(
            role_id=r.role_id,
            alarms=r.alarms,
            taken=r.taken,
            unclaimed=r.unclaimed,
            time_to_accept=SpreadOut.of(r.accept),
        )


class ModeOut(BaseModel):
    alarms: int
    resolved: int
    cancelled: int
    open: int
    time_to_first_accept: SpreadOut
    time_to_location: SpreadOut  # press → the first responder marked arrival (req. 32)
    time_to_all_clear: SpreadOut
    roles_unclaimed: dict[str, int]
    roles: list[RoleFiguresOut]

    @classmethod
    def of(cls, m: ModeFigures) -> ModeOut:
        return cls(
            alarms=m.alarms,
            resolved=m.resolved,
            cancelled=m.cancelled,
            open=m.open,
            time_to_first_accept=SpreadOut.of(m.first_accept),
            time_to_location=SpreadOut.of(m.first_arrival),
            time_to_all_clear=SpreadOut.of(m.all_clear),
            roles_unclaimed=m.roles_unclaimed,
            roles=[RoleFiguresOut.of(r) for r in m.roles],
        )


class IncidentCounts(BaseModel):
    total: int
    by_kind: dict[IncidentKind, int]


class StatisticsOut(BaseModel):
    office_id: str
    period_start: datetime
    period_end: datetime
    alarms: dict[AlarmMode, int]
    real: ModeOut
    drill: ModeOut
    incidents: IncidentCounts

    @classmethod
    def of(cls, office_id: str, s: OfficeStatistics) -> StatisticsOut:
        return cls(
            office_id=office_id,
            period_start=s.start,
            period_end=s.end,
            alarms=dict(s.alarms),
            real=ModeOut.of(s.real),
            drill=ModeOut.of(s.drill),
            incidents=IncidentCounts(total=s.incidents_total, by_kind=dict(s.incidents)),
        )


class DeviationOut(BaseModel):
    kind: str
    role_id: str | None
    count: int

    @classmethod
    def of(cls, d: DeviationCount) -> DeviationOut:
        return cls(kind=d.kind, role_id=d.role_id, count=d.count)


class ScorecardOut(BaseModel):
    alarms: int
    time_to_first_accept_s: float | None
    time_to_all_clear_s: float | None
    roles: list[RoleFiguresOut]
    roles_not_taken: list[str]
    deviations: list[DeviationOut]
    participants: int

    @classmethod
    def of(cls, c: Scorecard) -> ScorecardOut:
        return cls(
            alarms=c.alarms,
            time_to_first_accept_s=c.first_accept_s,
            time_to_all_clear_s=c.all_clear_s,
            roles=[RoleFiguresOut.of(r) for r in c.roles],
            roles_not_taken=list(c.roles_not_taken),
            deviations=[DeviationOut.of(d) for d in c.deviations],
            participants=c.participants,
        )


class ComparisonOut(BaseModel):
    earlier_drills: int
    time_to_first_accept_median_s: float | None
    time_to_all_clear_median_s: float | None
    role_time_to_accept_median_s: dict[str, float]
    first_accept_change_s: float | None

    @classmethod
    def of(cls, c: Comparison) -> ComparisonOut:
        return cls(
            earlier_drills=c.earlier_drills,
            time_to_first_accept_median_s=c.first_accept_median_s,
            time_to_all_clear_median_s=c.all_clear_median_s,
            role_time_to_accept_median_s=dict(c.role_accept_median_s),
            first_accept_change_s=c.first_accept_change_s,
        )


class DrillOut(BaseModel):
    drill_id: str
    office_id: str
    realism: Realism
    started_at: datetime
    planned_end: datetime
    ended_at: datetime | None
    started_by: str
    note: str | None
    evaluation: str | None
    purged_at: datetime | None

    @classmethod
    def of(cls, row: DrillRow) -> DrillOut:
        return cls(**{k: getattr(row, k) for k in cls.model_fields})


class DrillReportOut(DrillOut):
    open: bool
    scorecard: ScorecardOut
    comparison: ComparisonOut

    @classmethod
    def report(cls, r: DrillReport) -> DrillReportOut:
        return cls(
            **DrillOut.of(r.drill).model_dump(),
            open=r.open,
            scorecard=ScorecardOut.of(r.scorecard),
            comparison=ComparisonOut.of(r.comparison),
        )


class OpenDrill(BaseModel):
    drill_id: str
    until: datetime


class ReadinessOut(BaseModel):
    office_id: str
    at: datetime
    drill_cadence_months: int
    cadence_set: bool
    last_drill_at: datetime | None
    days_since_last_drill: int | None
    next_drill_due: datetime | None
    drill_overdue: bool
    days_overdue: int | None
    drill_open: OpenDrill | None
    open_debriefs: int
    oldest_open_debrief_at: datetime | None
    active_outreach: int
    overdue_outreach: int
    outreach_alarm_problem: str | None
    free_text_days: int
    # how many have not acknowledged the card in force: a count (readiness names nobody; each
    # handset tells its own person that the card is unread)
    unbriefed: int = 0
    briefing_gaps: list[str] = []  # required roles the briefed staff cannot fill (req. 33)
    # the card in force and how long since it was last reviewed, i.e. a version activated (req. 31)
    card_version: str | None = None
    card_in_force_since: datetime | None = None
    days_since_card_review: int | None = None
    card_review_due: bool = False
    # required roles with nobody present to hold them now (the coverage's `role_absent`)
    roles_unstaffed: list[str] = []

    @classmethod
    def of(
        cls,
        r: Readiness,
        brief: Briefing | None = None,
        card: CardReview | None = None,
        roles_unstaffed: Sequence[str] = (),
    ) -> ReadinessOut:
        own = (k for k in cls.model_fields if hasattr(r, k) and k != "drill_open")
        fields = {k: getattr(r, k) for k in own}  # the service's figures as they are
        w = r.drill_open
        return cls(
            **fields,
            drill_open=None if w is None else OpenDrill(drill_id=w.drill_id, until=w.end),
            unbriefed=len(brief.unbriefed) if brief else 0,
            briefing_gaps=list(brief.gaps) if brief else [],
            card_version=card.version if card else None,
            card_in_force_since=card.in_force_since if card else None,
            days_since_card_review=card.days if card else None,
            card_review_due=card.due if card else False,
            roles_unstaffed=list(roles_unstaffed),
        )


class IncidentOut(BaseModel):
    incident_id: str
    office_id: str
    kind: IncidentKind
    at: datetime
    location_id: str | None
    note: str | None
    recorded_at: datetime
    purged_at: datetime | None

    @classmethod
    def of(cls, row: IncidentRow) -> IncidentOut:
        return cls(**{k: getattr(row, k) for k in cls.model_fields})
