"""Statistics and incident routes, to show how the alarm worked per office and role.

Incidents without an alarm are logged here too, by staff from their handset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime, BaseModel, Field

from app.api.auth import CallerDep, ServicesDep
from app.api.errors import ApiError
from app.api.learning.auth import (
    OfficeId,
    answered,
    for_office,
)
from app.api.learning.models import FREE_TEXT_NOTICE, IncidentOut, StatisticsOut
from app.core.access import READERS, STAFF_AND_WRITERS
from app.core.learning.terms import IncidentKind

router = APIRouter(prefix="/api/v1", tags=["learning"])
DEFAULT_PERIOD = timedelta(days=365)
MAX_PERIOD = timedelta(days=5 * 366)
From = Annotated[AwareDatetime | None, Query(alias="from", description="default: `to` − 365 days")]


class IncidentIn(BaseModel):
    kind: IncidentKind
    at: AwareDatetime
    location_id: str | None = Field(None, max_length=128)
    note: str | None = Field(None, max_length=2000)


class IncidentLogged(IncidentOut):
    free_text_notice: str


def period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    end = end or now
    start = start or end - DEFAULT_PERIOD
    if not start < end or end - start > MAX_PERIOD:
        raise ApiError(422, "bad_period", "`from` must be before `to`, at most five years apart")
    return start, end


@router.get("/offices/{office_id}/statistics", response_model=StatisticsOut)
async def statistics(
    office_id: OfficeId,
    services: ServicesDep,
    who: CallerDep,
    start: From = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> StatisticsOut:
    """Real, drill and test alarms raised in [from, to); times for real alarms and drills apart;
    unclaimed roles per role; incidents without an alarm. Per office and role only."""
    learning = for_office(services, who, office_id, READERS)
    start, end = period(start, end, services.clock.now())
    return StatisticsOut.of(office_id, await learning.statistics.office(office_id, start, end))


@router.post(
    "/offices/{office_id}/incidents",
    response_model=IncidentLogged,
    status_code=status.HTTP_201_CREATED,
)
async def log_incident(
    office_id: OfficeId, body: IncidentIn, services: ServicesDep, who: CallerDep
) -> IncidentLogged:
    learning = for_office(services, who, office_id, STAFF_AND_WRITERS)
    with answered():
        row = await learning.incidents.log(
            office_id, body.kind, body.at, who.by, body.location_id, body.note
        )
    days = await learning.retention.days(office_id)
    return IncidentLogged(
        **IncidentOut.of(row).model_dump(), free_text_notice=FREE_TEXT_NOTICE.format(days=days)
    )


@router.get("/offices/{office_id}/incidents", response_model=list[IncidentOut])
async def incidents(
    office_id: OfficeId,
    services: ServicesDep,
    who: CallerDep,
    start: From = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> list[IncidentOut]:
    """Logged in [from, to), oldest first."""
    learning = for_office(services, who, office_id, READERS)
    start, end = period(start, end, services.clock.now())
    return [IncidentOut.of(r) for r in await learning.incidents.between(office_id, start, end)]
