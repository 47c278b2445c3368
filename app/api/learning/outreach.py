"""Outreach routes, so staff on home visits can start, check in, check out and panic by phone."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import AwareDatetime, BaseModel, Field

from app.api.auth import CallerDep, ServicesDep
from app.api.errors import ApiError, not_found
from app.api.learning.auth import (
    ItemId,
    OfficeId,
    answered,
    for_office,
)
from app.api.learning.models import FREE_TEXT_NOTICE
from app.core.access import READERS, STAFF_AND_WRITERS, Principal, Role
from app.core.learning.outreach import (
    DEFAULT_GRACE_S,
    MAX_GRACE_S,
    Checklist,
    advice,
    checkout_due_at,
)
from app.core.learning.terms import AlarmReason, SessionStatus
from app.service.learning.bundle import Learning
from app.service.learning.ports import OutreachRow

router = APIRouter(prefix="/api/v1", tags=["learning"])


class ChecklistIO(BaseModel):
    person_known_risk: bool = False
    environment_risk: bool = False
    violence_history: bool = False
    police_should_assist: bool = False


class SessionIn(BaseModel):
    person_id: str | None = Field(None, max_length=128, description="default: the handset's")
    where: str = Field(min_length=1, max_length=200)
    planned_end: AwareDatetime
    companions: list[str] = Field(default_factory=list, max_length=10)
    checklist: ChecklistIO = Field(default_factory=ChecklistIO)
    grace_s: int = Field(DEFAULT_GRACE_S, ge=0, le=MAX_GRACE_S)


class CheckinIn(BaseModel):
    planned_end: AwareDatetime | None = None


class CheckoutIn(BaseModel):
    note: str | None = Field(None, max_length=2000, description="a short evaluation of the visit")


class SessionOut(BaseModel):
    session_id: str
    office_id: str
    person_id: str
    where: str
    companions: list[str]
    checklist: ChecklistIO
    advice: list[str]
    started_at: datetime
    planned_end: datetime
    grace_s: int
    checkout_due_at: datetime
    status: SessionStatus
    last_checkin_at: datetime | None
    checked_out_at: datetime | None
    alarm_id: str | None
    alarm_reason: AlarmReason | None
    error: str | None
    alarm_problem: str | None  # the office cannot raise outreach alarms, and why
    note: str | None
    purged_at: datetime | None
    free_text_notice: str


async def _out(learning: Learning, row: OutreachRow) -> SessionOut:
    checklist = Checklist(**row.checklist)
    days = await learning.retention.days(row.office_id)
    return SessionOut(
        session_id=row.session_id,
        office_id=row.office_id,
        person_id=row.person_id,
        where=row.place,
        companions=list(row.companions),
        checklist=ChecklistIO(**vars(checklist)),
        advice=list(advice(checklist, len(row.companions))),
        started_at=row.started_at,
        planned_end=row.planned_end,
        grace_s=row.grace_s,
        checkout_due_at=checkout_due_at(row.planned_end, row.grace_s),
        status=row.status,
        last_checkin_at=row.last_checkin_at,
        checked_out_at=row.checked_out_at,
        alarm_id=row.alarm_id,
        alarm_reason=row.alarm_reason,
        error=row.error,
        alarm_problem=learning.outreach.alarm_problem(row.office_id),
        note=row.note,
        purged_at=row.purged_at,
        free_text_notice=FREE_TEXT_NOTICE.format(days=days),
    )


def _mine(who: Principal, row: OutreachRow) -> bool:
    return (
        who.role != Role.STAFF or who.person_id == row.person_id or who.person_id in row.companions
    )


async def _session(
    learning: Learning, who: Principal, office_id: str, session_id: str
) -> OutreachRow:
    with answered():
        row = await learning.outreach.session(session_id)
    if row.office_id != office_id or not _mine(who, row):
        raise not_found(f"outreach session {session_id!r}")
    return row


@router.post(
    "/offices/{office_id}/outreach",
    response_model=SessionOut,
    status_code=status.HTTP_201_CREATED,
)
async def start(
    office_id: OfficeId, body: SessionIn, services: ServicesDep, who: CallerDep
) -> SessionOut:
    """Start a session; a missed check-out (planned end + grace) raises an alarm."""
    learning = for_office(services, who, office_id, STAFF_AND_WRITERS)
    person_id = body.person_id or who.person_id
    if person_id is None:
        raise ApiError(422, "person_required", "name the staff member (`person_id`)")
    if who.role == Role.STAFF and person_id != who.person_id:
        raise ApiError(403, "forbidden", "a handset starts sessions for its own person only")
    checklist = Checklist(**body.checklist.model_dump())
    with answered():
        row = await learning.outreach.start(
            office_id, person_id, body.where, body.planned_end, body.companions, checklist,
            body.grace_s,
        )  # fmt: skip
    return await _out(learning, row)


@router.get("/offices/{office_id}/outreach", response_model=list[SessionOut])
async def sessions(office_id: OfficeId, services: ServicesDep, who: CallerDep) -> list[SessionOut]:
    """Newest first; a handset sees the sessions it is part of."""
    learning = for_office(services, who, office_id, READERS | {Role.STAFF})
    rows = await learning.store.sessions(office_id)
    return [await _out(learning, r) for r in rows if _mine(who, r)]


@router.post("/offices/{office_id}/outreach/{session_id}/checkin", response_model=SessionOut)
async def checkin(
    office_id: OfficeId,
    session_id: ItemId,
    services: ServicesDep,
    who: CallerDep,
    body: CheckinIn | None = None,
) -> SessionOut:
    learning = for_office(services, who, office_id, STAFF_AND_WRITERS)
    await _session(learning, who, office_id, session_id)
    with answered():
        row = await learning.outreach.checkin(session_id, (body or CheckinIn()).planned_end)
    return await _out(learning, row)


@router.post("/offices/{office_id}/outreach/{session_id}/checkout", response_model=SessionOut)
async def checkout(
    office_id: OfficeId,
    session_id: ItemId,
    services: ServicesDep,
    who: CallerDep,
    body: CheckoutIn | None = None,
) -> SessionOut:
    learning = for_office(services, who, office_id, STAFF_AND_WRITERS)
    await _session(learning, who, office_id, session_id)
    with answered():
        row = await learning.outreach.checkout(session_id, (body or CheckoutIn()).note)
    return await _out(learning, row)


@router.post("/offices/{office_id}/outreach/{session_id}/panic", response_model=SessionOut)
async def panic(
    office_id: OfficeId, session_id: ItemId, services: ServicesDep, who: CallerDep
) -> SessionOut:
    """Raise the alarm now. 503 `alarm_not_raised` when it could not be: call 112."""
    learning = for_office(services, who, office_id, STAFF_AND_WRITERS)
    await _session(learning, who, office_id, session_id)
    with answered():
        row = await learning.outreach.panic(session_id)
    if row.status is not SessionStatus.ALARMED or row.alarm_reason is not AlarmReason.PANIC:
        raise ApiError(503, "alarm_not_raised", f"no alarm was raised ({row.error}): call 112")
    return await _out(learning, row)
