"""`/api/v1/alarms`: the alarm list and one alarm with its full timeline, scoped to offices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.errors import not_found
from app.core.alarm import AlarmState, fold
from app.core.records import to_record
from app.service.ports import AlarmSummary, StoredEvent

router = APIRouter(prefix="/api/v1", tags=["alarms"])


class AlarmOut(BaseModel):
    alarm_id: str
    office_id: str
    device_id: str
    location_id: str
    status: str
    level: str
    mode: str
    raised_at: datetime
    closed_at: datetime | None
    rolecard_version: str

    @classmethod
    def of(cls, summary: AlarmSummary) -> AlarmOut:
        return cls(**summary.__dict__)


class TimelineEvent(BaseModel):
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, stored: StoredEvent) -> TimelineEvent:
        type_name, data = to_record(stored.event)
        return cls(
            seq=stored.seq,
            type=type_name,
            at=stored.event.at,
            actor=stored.event.actor,
            data=data,
            hash=stored.hash,
        )


class RoleOut(BaseModel):
    role_id: str
    state: str
    holder_id: str | None
    steps_done: list[int]


class AlarmDetail(AlarmOut):
    roles: list[RoleOut]
    timeline: list[TimelineEvent]


@router.get("/alarms", response_model=list[AlarmOut])
async def list_alarms(
    services: ServicesDep,
    who: PrincipalDep,
    office_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlarmOut]:
    if office_id is not None:
        authorize(who, office_id)
    offices = [office_id] if office_id else sorted(who.offices)
    return [AlarmOut.of(s) for s in await services.store.alarms(offices, limit)]


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail)
async def get_alarm(alarm_id: str, services: ServicesDep, who: PrincipalDep) -> AlarmDetail:
    summary = await services.store.alarm(alarm_id)
    if summary is None or not who.may_see(summary.office_id):
        raise not_found(f"alarm {alarm_id!r}")
    stored = await services.store.events(alarm_id)
    state = fold(s.event for s in stored)
    return AlarmDetail(
        **AlarmOut.of(summary).model_dump(),
        roles=_roles(state),
        timeline=[TimelineEvent.of(s) for s in stored],
    )


def _roles(state: AlarmState | None) -> list[RoleOut]:
    if state is None:
        return []
    return [
        RoleOut(
            role_id=s.role_id,
            state=s.status.value,
            holder_id=s.holder_id,
            steps_done=sorted(s.steps_done),
        )
        for s in state.slots
    ]
