"""`/api/v1/alarms`: the alarm list and one alarm with its full timeline, scoped to offices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.errors import ApiError, not_found
from app.api.integrity import ChainOut
from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.debrief import repeat_counts
from app.core.records import to_record
from app.service.ports import AlarmSummary, StoredEvent
from app.service.timelines import UnreadableTimeline, fold_checked

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
    problem: str | None = None  # why the timeline cannot be read, when it cannot

    @classmethod
    def of(cls, summary: AlarmSummary, problem: str | None = None) -> AlarmOut:
        return cls(**summary.__dict__, problem=problem)


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


class RepeatsOut(BaseModel):
    """Presses after the first, coalesced (a flood is a few timeline rows, each with a count)."""

    count: int
    late: int  # made before the alarm closed, arrived after it
    first_at: datetime | None
    last_at: datetime | None


class AlarmDetail(AlarmOut):
    roles: list[RoleOut]
    timeline: list[TimelineEvent]
    chain: ChainOut
    repeats: RepeatsOut


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
    problems = services.dispatcher.unreadable
    return [
        AlarmOut.of(s, problems.of(s.alarm_id)) for s in await services.store.alarms(offices, limit)
    ]


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail)
async def get_alarm(alarm_id: str, services: ServicesDep, who: PrincipalDep) -> AlarmDetail:
    summary = await services.store.alarm(alarm_id)
    if summary is None or not who.may_see(summary.office_id):
        raise not_found(f"alarm {alarm_id!r}")
    stored = await services.store.events(alarm_id)
    try:
        state = fold_checked(s.event for s in stored)
    except UnreadableTimeline as err:
        services.dispatcher.unreadable.found(alarm_id, err.reason)
        raise ApiError(
            409,
            "timeline_unreadable",
            f"the timeline of alarm {alarm_id!r} cannot be read: {err.reason}",
        ) from None
    return AlarmDetail(
        **AlarmOut.of(summary).model_dump(),
        roles=_roles(state),
        timeline=[TimelineEvent.of(s) for s in stored],
        chain=ChainOut.of(await services.store.integrity(alarm_id)),
        repeats=_repeats([s.event for s in stored]),
    )


def _repeats(events: list[ev.Event]) -> RepeatsOut:
    r = repeat_counts(events)
    return RepeatsOut(
        count=r["repeats"],
        late=r["late_repeats"],
        first_at=r["first_repeat_at"],
        last_at=r["last_repeat_at"],
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
