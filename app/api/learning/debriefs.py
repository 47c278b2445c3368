"""Debrief routes, so an office meeting can go through, record and close its debriefs.

The office's debriefs open ones first; the three texts, report references, after-care per
person, and closing.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from app.api.auth import CallerDep, ServicesDep
from app.api.errors import not_found
from app.api.learning.auth import (
    ItemId,
    OfficeId,
    answered,
    for_office,
    learning_of,
)
from app.api.learning.models import FREE_TEXT_NOTICE
from app.core.access import READERS, WRITERS, Principal, Role
from app.core.learning.terms import DebriefStatus, ReferenceKind, ReportingLine, Support
from app.service.learning.bundle import Learning
from app.service.learning.debriefs import DebriefView
from app.service.learning.ports import OutreachRow, Reference
from app.services import Services

router = APIRouter(prefix="/api/v1", tags=["learning"])
TEXT_MAX = 4000


class ReferenceIO(BaseModel):
    kind: ReferenceKind
    ref: str = Field(min_length=1, max_length=100, description='e.g. "Avvik 2026-113"')
    reporting_line: ReportingLine


class DebriefPatch(BaseModel):
    what_happened: str | None = Field(None, max_length=TEXT_MAX)
    what_we_learn: str | None = Field(None, max_length=TEXT_MAX)
    what_we_change: str | None = Field(None, max_length=TEXT_MAX)
    references: list[ReferenceIO] | None = Field(None, max_length=20)


class AftercareIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=300)
    offered: list[Support] = Field(min_length=1, max_length=len(Support))
    offered_at: AwareDatetime


class OfferedOut(BaseModel):
    support: Support
    offered_at: datetime


class PersonOut(BaseModel):
    person_id: str
    name: str | None
    involved: bool
    offered: list[OfferedOut]


class AlarmRef(BaseModel):
    alarm_id: str
    status: str
    level: str
    location_id: str
    raised_at: datetime
    closed_at: datetime | None


class VisitOut(BaseModel):
    """The outreach visit whose session raised the alarm (req. 37): the worker's evaluation
    after it feeds the review. `where` and `evaluation` are free text, purged with the rest."""

    session_id: str
    reason: str | None  # panic or overdue
    where: str
    started_at: datetime
    planned_end: datetime
    checked_out_at: datetime | None
    evaluation: str | None  # None: not checked out, or no note yet


class DebriefOut(BaseModel):
    debrief_id: str
    office_id: str
    status: DebriefStatus
    alarm: AlarmRef
    created_at: datetime
    updated_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    what_happened: str
    what_we_learn: str
    what_we_change: str
    references: list[ReferenceIO]
    people: list[PersonOut]
    missing_aftercare: list[str]
    purged_at: datetime | None
    free_text_notice: str
    visit: VisitOut | None = None


def _people(view: DebriefView, names: dict[str, str]) -> list[PersonOut]:
    order = list(dict.fromkeys([*view.debrief.involved, *(a.person_id for a in view.aftercare)]))
    return [
        PersonOut(
            person_id=p,
            name=names.get(p),
            involved=p in view.debrief.involved,
            offered=[
                OfferedOut(support=a.support, offered_at=a.offered_at)
                for a in view.aftercare
                if a.person_id == p
            ],
        )
        for p in order
    ]


async def _out(services: Services, learning: Learning, view: DebriefView) -> DebriefOut:
    d, a = view.debrief, view.alarm
    office = services.offices.offices.get(d.office_id)
    names = {p.id: p.name for p in office.people.values()} if office else {}
    days = await learning.retention.days(d.office_id)
    return DebriefOut(
        debrief_id=d.debrief_id,
        office_id=d.office_id,
        status=d.status,
        alarm=AlarmRef(
            alarm_id=d.alarm_id,
            status=a.status if a else "unknown",
            level=a.level if a else "unknown",
            location_id=a.location_id if a else "",
            raised_at=a.raised_at if a else d.created_at,
            closed_at=a.closed_at if a else None,
        ),
        created_at=d.created_at,
        updated_at=d.updated_at,
        closed_at=d.closed_at,
        closed_by=d.closed_by,
        what_happened=d.what_happened,
        what_we_learn=d.what_we_learn,
        what_we_change=d.what_we_change,
        references=[
            ReferenceIO(kind=r.kind, ref=r.ref, reporting_line=r.reporting_line)
            for r in d.report_refs
        ],
        people=_people(view, names),
        missing_aftercare=list(view.missing_aftercare),
        purged_at=d.purged_at,
        free_text_notice=FREE_TEXT_NOTICE.format(days=days),
        visit=_visit(view.visit),
    )


def _visit(v: OutreachRow | None) -> VisitOut | None:
    if v is None:
        return None
    return VisitOut(
        session_id=v.session_id,
        reason=v.alarm_reason.value if v.alarm_reason else None,
        where=v.place,
        started_at=v.started_at,
        planned_end=v.planned_end,
        checked_out_at=v.checked_out_at,
        evaluation=v.note,
    )


async def _view(
    services: Services, who: Principal, debrief_id: str, roles: frozenset[Role]
) -> tuple[Learning, DebriefView]:
    """The debrief if the caller may see its office; 404 (not 403) otherwise, as for alarms."""
    learning = learning_of(services)
    with answered():
        view = await learning.debriefs.get(debrief_id)
    if view.debrief.office_id not in who.offices:
        raise not_found(f"debrief {debrief_id!r}")
    for_office(services, who, view.debrief.office_id, roles)
    return learning, view


@router.get("/offices/{office_id}/debriefs", response_model=list[DebriefOut])
async def debriefs(office_id: OfficeId, services: ServicesDep, who: CallerDep) -> list[DebriefOut]:
    """Open debriefs first (first on the next office meeting's list), then the newest."""
    learning = for_office(services, who, office_id, READERS)
    views = await learning.debriefs.for_office(office_id)
    return [await _out(services, learning, v) for v in views]


@router.get("/debriefs/{debrief_id}", response_model=DebriefOut)
async def debrief(debrief_id: ItemId, services: ServicesDep, who: CallerDep) -> DebriefOut:
    learning, view = await _view(services, who, debrief_id, READERS)
    return await _out(services, learning, view)


@router.patch("/debriefs/{debrief_id}", response_model=DebriefOut)
async def edit(
    debrief_id: ItemId, body: DebriefPatch, services: ServicesDep, who: CallerDep
) -> DebriefOut:
    learning, _ = await _view(services, who, debrief_id, WRITERS)
    refs = None
    if body.references is not None:
        refs = [Reference(r.kind, r.ref, r.reporting_line) for r in body.references]
    with answered():
        view = await learning.debriefs.update(
            debrief_id,
            what_happened=body.what_happened,
            what_we_learn=body.what_we_learn,
            what_we_change=body.what_we_change,
            references=refs,
        )
    return await _out(services, learning, view)


@router.post("/debriefs/{debrief_id}/aftercare", response_model=DebriefOut)
async def aftercare(
    debrief_id: ItemId, body: AftercareIn, services: ServicesDep, who: CallerDep
) -> DebriefOut:
    """Which support was offered to one person, and when; nothing about how they are."""
    learning, _ = await _view(services, who, debrief_id, WRITERS)
    with answered():
        view = await learning.debriefs.add_aftercare(
            debrief_id, body.person_id, body.offered, body.offered_at
        )
    return await _out(services, learning, view)


@router.post("/debriefs/{debrief_id}/close", response_model=DebriefOut)
async def close(debrief_id: ItemId, services: ServicesDep, who: CallerDep) -> DebriefOut:
    """409 `aftercare_missing` until everyone involved has an after-care entry."""
    learning, _ = await _view(services, who, debrief_id, WRITERS)
    with answered():
        view = await learning.debriefs.close(debrief_id, who.by)
    return await _out(services, learning, view)
