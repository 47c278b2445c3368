"""The coordinator console's API under `/api/v1`: who am I, the live alarm list, and the debrief
of one alarm as JSON, CSV and a printable page. Every route is scoped to the token's offices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from app.api import debrief_export
from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.debrief_model import Debrief, Names, build, head, role_info
from app.api.errors import not_found
from app.api.integrity import ChainOut
from app.core import events as ev
from app.core.access import Principal
from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.ports import AlarmSummary
from app.service.timelines import UnreadableTimeline, fold_checked
from app.services import Services

router = APIRouter(prefix="/api/v1", tags=["console"])


class OfficeRef(BaseModel):
    office_id: str
    name: str


class WhoAmI(BaseModel):
    role: str
    offices: list[OfficeRef]


class LiveRole(BaseModel):
    role_id: str
    title: str
    state: str
    required: bool
    leader: bool
    holder_id: str | None
    holder: str | None
    steps_done: list[int]
    steps_total: int


class LiveAlarm(BaseModel):
    alarm_id: str
    office_id: str
    office_name: str
    location_id: str
    location_name: str
    zone: str | None
    device_id: str
    status: str
    level: str
    mode: str
    raised_at: datetime
    closed_at: datetime | None
    rolecard_version: str
    roles: list[LiveRole]
    help_requested: bool
    lockdown: bool
    presser_id: str | None = None  # who pressed, when known (see presser_via)
    presser: str | None = None
    presser_via: str | None = None  # checked_in, carried, roster, holder; None: unknown
    arrived: list[str] = []  # names of those who marked arrival, in order
    police_contacted_by: str | None = None  # None: Rollekort has NOT called the police
    repeats: int = 0  # presses after the first (a flood is counted, app.core.repeats)


@router.get("/whoami", response_model=WhoAmI)
async def whoami(services: ServicesDep, who: PrincipalDep) -> WhoAmI:
    known = services.offices.offices
    return WhoAmI(
        role=who.role,
        offices=[
            OfficeRef(office_id=o, name=known[o].name if o in known else o)
            for o in sorted(who.offices)
        ],
    )


@router.get("/console/alarms", response_model=list[LiveAlarm])
async def live_alarms(
    services: ServicesDep,
    who: PrincipalDep,
    office_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[LiveAlarm]:
    """Newest first; open alarms carry their roles (who holds what, steps ticked)."""
    if office_id is not None:
        authorize(who, office_id)
    offices = [office_id] if office_id else sorted(who.offices)
    return [await _live(services, s) for s in await services.store.alarms(offices, limit)]


def _office_of(services: Services, summary: AlarmSummary) -> Office | None:
    """The office with the role card that dispatched the alarm (the current card when that
    version is no longer loaded); None for an office this service does not serve any more."""
    try:
        return services.offices.office_version(summary.office_id, summary.rolecard_version)
    except KeyError:
        return None


async def _live(services: Services, summary: AlarmSummary) -> LiveAlarm:
    office = _office_of(services, summary)
    alarm = head(summary, office)
    roles: list[LiveRole] = []
    help_requested = lockdown = False
    who: dict[str, Any] = {}
    if summary.status == "open":
        events = [s.event for s in await services.store.events(summary.alarm_id)]
        try:
            state = fold_checked(events)
        except UnreadableTimeline as err:  # shown as an alarm without roles, and reported
            services.dispatcher.unreadable.found(summary.alarm_id, err.reason)
            state = None
        help_requested = any(isinstance(e, ev.HelpRequested) for e in events)
        lockdown = bool(state and state.lockdown)
        names = Names(office)
        if state is not None:
            who = _presser_and_arrivals(state, names)
        for slot in state.slots if state else ():
            role = role_info(slot.role_id, names)
            holder = office.people.get(slot.holder_id) if office and slot.holder_id else None
            roles.append(
                LiveRole(
                    role_id=slot.role_id,
                    title=role.title,
                    state=slot.status.value,
                    required=role.required,
                    leader=role.leader,
                    holder_id=slot.holder_id,
                    holder=holder.name if holder else slot.holder_id,
                    steps_done=sorted(slot.steps_done),
                    steps_total=len(role.steps),
                )
            )
    return LiveAlarm(
        **alarm.model_dump(),
        roles=roles,
        help_requested=help_requested,
        lockdown=lockdown,
        **who,
    )


def _presser_and_arrivals(state: AlarmState, names: Names) -> dict[str, Any]:
    police = state.police_contacted_by
    return {
        "presser_id": state.presser_id,
        "presser": names.person(state.presser_id) if state.presser_id else None,
        "presser_via": state.presser_via,
        "arrived": [names.person(p) for p in state.arrived],
        "police_contacted_by": names.person(police) if police else None,
        "repeats": state.repeats,
    }


async def _debrief(services: Services, who: Principal, alarm_id: str) -> Debrief:
    summary = await services.store.alarm(alarm_id)
    if summary is None or not who.may_see(summary.office_id):
        raise not_found(f"alarm {alarm_id!r}")
    return build(summary, _office_of(services, summary), await services.store.events(alarm_id))


def _filename(alarm_id: str, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="debrief-{alarm_id}.{ext}"'}


@router.get("/alarms/{alarm_id}/debrief.json", response_model=Debrief)
async def debrief_json(alarm_id: str, services: ServicesDep, who: PrincipalDep) -> Debrief:
    """The alarm, per-role times, deviations from the card and every event, for the replay;
    with the timeline's hash chain checked on this read."""
    debrief = await _debrief(services, who, alarm_id)
    debrief.chain = ChainOut.of(await services.store.integrity(alarm_id))
    return debrief


@router.get(
    "/alarms/{alarm_id}/debrief.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def debrief_csv(alarm_id: str, services: ServicesDep, who: PrincipalDep) -> Response:
    """One row per timeline event: seq, at, seconds_since_press, type, actor, role, person,
    detail."""
    debrief = await _debrief(services, who, alarm_id)
    return Response(
        debrief_export.to_csv(debrief),
        media_type="text/csv; charset=utf-8",
        headers=_filename(alarm_id, "csv"),
    )


@router.get("/alarms/{alarm_id}/debrief.html", response_class=HTMLResponse)
async def debrief_html(
    alarm_id: str,
    services: ServicesDep,
    who: PrincipalDep,
    lang: Literal["nb", "en"] = "nb",
) -> HTMLResponse:
    """A printable page: the alarm, times per role, deviations and the whole timeline."""
    debrief = await _debrief(services, who, alarm_id)
    office = services.offices.offices.get(debrief.alarm.office_id)
    timezone = office.facts.timezone if office else None
    page = debrief_export.to_html(debrief, lang, timezone, services.clock.now())
    return HTMLResponse(page)
