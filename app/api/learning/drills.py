"""Drill, cadence, readiness and retention routes, so a console can run and review drills.

`ROUTERS` is every learning router, for the composition root to include.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status
from pydantic import BaseModel, Field

from app.api.auth import CallerDep, ServicesDep
from app.api.learning import debriefs, outreach, statistics
from app.api.learning.auth import (
    ItemId,
    OfficeId,
    answered,
    for_office,
)
from app.api.learning.models import DrillOut, DrillReportOut, ReadinessOut
from app.core.access import READERS, WRITERS
from app.core.briefing import briefing
from app.core.learning.drills import DEFAULT_DURATION_MIN, MAX_DURATION_MIN
from app.core.learning.readiness import (
    MAX_CADENCE_MONTHS,
    MAX_FREE_TEXT_DAYS,
    MIN_FREE_TEXT_DAYS,
    card_review,
)
from app.core.learning.terms import Realism

router = APIRouter(prefix="/api/v1", tags=["learning"])
NOTE_MAX = 2000


class DrillStart(BaseModel):
    duration_min: int = Field(DEFAULT_DURATION_MIN, ge=1, le=MAX_DURATION_MIN)
    realism: Realism = Realism.STANDARD
    note: str | None = Field(None, max_length=NOTE_MAX)


class DrillEnd(BaseModel):
    evaluation: str | None = Field(None, max_length=NOTE_MAX)


class Cadence(BaseModel):
    every_months: int = Field(ge=1, le=MAX_CADENCE_MONTHS)


class CadenceOut(Cadence):
    office_id: str


class RetentionIn(BaseModel):
    free_text_days: int = Field(ge=MIN_FREE_TEXT_DAYS, le=MAX_FREE_TEXT_DAYS)


class RetentionOut(RetentionIn):
    office_id: str


class PurgeOut(BaseModel):
    office_id: str
    free_text_days: int
    debriefs: int
    incidents: int
    outreach: int
    drills: int


@router.post(
    "/offices/{office_id}/drills", response_model=DrillOut, status_code=status.HTTP_201_CREATED
)
async def start_drill(
    office_id: OfficeId, body: DrillStart, services: ServicesDep, who: CallerDep
) -> DrillOut:
    """Open a drill window: presses in the office are raised as drills until it ends."""
    learning = for_office(services, who, office_id, WRITERS)
    with answered():
        row = await learning.drills.start(
            office_id, body.duration_min, body.realism, body.note, who.by
        )
    return DrillOut.of(row)


@router.post("/offices/{office_id}/drills/{drill_id}/end", response_model=DrillOut)
async def end_drill(
    office_id: OfficeId,
    drill_id: ItemId,
    services: ServicesDep,
    who: CallerDep,
    body: Annotated[DrillEnd | None, Body()] = None,
) -> DrillOut:
    learning = for_office(services, who, office_id, WRITERS)
    with answered():
        row = await learning.drills.end(
            office_id, drill_id, (body or DrillEnd()).evaluation, who.by
        )
    return DrillOut.of(row)


@router.get("/offices/{office_id}/drills", response_model=list[DrillReportOut])
async def drills(
    office_id: OfficeId, services: ServicesDep, who: CallerDep
) -> list[DrillReportOut]:
    """Newest first, each with its scorecard and the comparison with the earlier drills."""
    learning = for_office(services, who, office_id, READERS)
    return [DrillReportOut.report(r) for r in await learning.drills.history(office_id)]


@router.put("/offices/{office_id}/drill-cadence", response_model=CadenceOut)
async def set_cadence(
    office_id: OfficeId, body: Cadence, services: ServicesDep, who: CallerDep
) -> CadenceOut:
    learning = for_office(services, who, office_id, WRITERS)
    await learning.drills.set_cadence(office_id, body.every_months, who.by)
    return CadenceOut(office_id=office_id, every_months=body.every_months)


@router.get("/offices/{office_id}/readiness", response_model=ReadinessOut)
async def readiness(office_id: OfficeId, services: ServicesDep, who: CallerDep) -> ReadinessOut:
    learning = for_office(services, who, office_id, READERS)
    office = services.offices.office(office_id)
    brief, card = None, None
    if services.versions is not None:  # who acknowledged the card in force, and since when
        brief = briefing(office, services.versions.acknowledged(office_id))
        active = services.versions.active(office_id)
        since = (active.activated_at or active.uploaded_at) if active else None
        label = active.label if active else office.rolecard.version
        card = card_review(label, since, services.clock.now())
    absent: list[str] = []
    if services.supervision is not None:  # required roles nobody present can hold now
        problems = services.supervision.coverage(office_id).problems
        absent = [str(dict(p.params)["role"]) for p in problems if p.code == "role_absent"]
    return ReadinessOut.of(await learning.readiness(office_id), brief, card, absent)


@router.get("/offices/{office_id}/retention", response_model=RetentionOut)
async def retention(office_id: OfficeId, services: ServicesDep, who: CallerDep) -> RetentionOut:
    learning = for_office(services, who, office_id, READERS)
    days = await learning.retention.days(office_id)
    return RetentionOut(office_id=office_id, free_text_days=days)


@router.put("/offices/{office_id}/retention", response_model=RetentionOut)
async def set_retention(
    office_id: OfficeId, body: RetentionIn, services: ServicesDep, who: CallerDep
) -> RetentionOut:
    learning = for_office(services, who, office_id, WRITERS)
    await learning.retention.set_days(office_id, body.free_text_days, who.by)
    return RetentionOut(office_id=office_id, free_text_days=body.free_text_days)


@router.post("/offices/{office_id}/retention/purge", response_model=PurgeOut)
async def purge(office_id: OfficeId, services: ServicesDep, who: CallerDep) -> PurgeOut:
    """Blank the office's free text that is past its retention now (`rollekort db purge` does
    it for every office)."""
    learning = for_office(services, who, office_id, WRITERS)
    counts = (await learning.retention.purge([office_id]))[office_id]
    days = await learning.retention.days(office_id)
    return PurgeOut(office_id=office_id, free_text_days=days, **vars(counts))


ROUTERS = (
    router,
    statistics.router,
    debriefs.router,
    outreach.router,
)
