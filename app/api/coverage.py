"""`/api/v1/offices/{id}/coverage`: is the office protected now; which buttons are due a test."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.errors import ApiError, not_found
from app.core.supervision import untested

router = APIRouter(prefix="/api/v1", tags=["coverage"])


class DeviceOut(BaseModel):
    device_id: str
    family: str
    kind: str
    location_id: str
    last_seen: datetime | None
    online: bool | None
    battery: int | None
    tamper: bool
    last_tested: datetime | None


class CoverageProblemOut(BaseModel):
    """A reason as a code with parameters (docs/protocol.md, "Texts as codes")."""

    code: str
    params: dict[str, str | int]


class CoverageOut(BaseModel):
    office_id: str
    status: str
    reasons: list[str]
    problems: list[CoverageProblemOut]
    devices: list[DeviceOut]
    untested: list[str]
    untested_days: int


@router.get("/offices/{office_id}/coverage", response_model=CoverageOut)
async def office_coverage(
    office_id: str,
    services: ServicesDep,
    who: PrincipalDep,
    untested_days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> CoverageOut:
    if office_id not in services.offices.offices:
        raise not_found(f"office {office_id!r}")
    authorize(who, office_id)
    supervision = services.supervision
    if supervision is None:
        raise ApiError(503, "unavailable", "supervision is not running")
    office = services.offices.office(office_id)
    health = supervision.health()
    now = services.clock.now()
    cover = supervision.coverage(office_id)
    devices = []
    for trigger in office.triggers.values():
        h = health.get(trigger.device_id)
        devices.append(
            DeviceOut(
                device_id=trigger.device_id,
                family=trigger.family,
                kind=trigger.kind.value,
                location_id=trigger.location_id,
                last_seen=h.last_seen if h else None,
                online=h.online if h else None,
                battery=h.battery if h else None,
                tamper=h.tamper if h else False,
                last_tested=h.last_tested if h else None,
            )
        )
    return CoverageOut(
        office_id=office_id,
        status=cover.status.value,
        reasons=list(cover.reasons),
        problems=[CoverageProblemOut(code=p.code, params=dict(p.params)) for p in cover.problems],
        devices=devices,
        untested=untested(office, health, now, untested_days),
        untested_days=untested_days,
    )
