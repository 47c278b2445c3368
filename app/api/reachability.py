"""What a coordinator sees of the phones: each handset's reachability, and a test push whose
receipt shows that a phone would wake for an alarm."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel

from app.api.auth import PrincipalDep, ServicesDep
from app.api.errors import ApiError
from app.service.offices import Principal
from app.service.reach import Reachability
from app.services import Services

router = APIRouter(prefix="/api/v1", tags=["reachability"])

WRITERS = frozenset({"admin", "coordinator"})
READERS = WRITERS | {"viewer"}
OfficeId = Annotated[str, Path(max_length=128)]
HandsetId = Annotated[str, Path(max_length=64)]
PushId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")]


class HandsetReachOut(BaseModel):
    handset_id: str
    person_id: str
    person_name: str | None
    reach: Literal["connected", "push", "unreachable"]
    socket: bool  # a socket is open (it may be stale: see reach)
    subscribed: bool  # the phone subscribed to Web Push
    last_receipt_at: datetime | None  # when its service worker last confirmed a push


class TestPushOut(BaseModel):
    push_id: str
    handset_id: str
    sent_at: datetime
    received_at: datetime | None  # the receipt from the phone; null until it comes


def _reach(
    services: Services, who: Principal, office_id: str, roles: frozenset[str]
) -> Reachability:
    if not who.may_see(office_id):
        raise ApiError(403, "forbidden", f"your token does not cover office {office_id!r}")
    if who.role not in roles:
        raise ApiError(403, "forbidden", f"role {who.role!r} may not do this")
    if office_id not in services.offices.offices:
        raise ApiError(404, "not_found", f"office {office_id!r} is not served here")
    if services.reach is None:
        raise ApiError(503, "unavailable", "reachability is not tracked by this service")
    return services.reach


@router.get("/offices/{office_id}/reachability", response_model=list[HandsetReachOut])
async def office_reachability(
    office_id: OfficeId, services: ServicesDep, who: PrincipalDep
) -> list[HandsetReachOut]:
    reach = _reach(services, who, office_id, READERS)
    people = services.offices.office(office_id).people
    return [
        HandsetReachOut(
            handset_id=rec.handset_id,
            person_id=rec.person_id,
            person_name=people[rec.person_id].name if rec.person_id in people else None,
            reach=state.value,
            socket=rec.socket,
            subscribed=rec.subscribed,
            last_receipt_at=rec.last_receipt,
        )
        for rec, state in reach.handsets(office_id)
    ]


@router.post(
    "/offices/{office_id}/handsets/{handset_id}/test-push",
    response_model=TestPushOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def test_push(
    office_id: OfficeId, handset_id: HandsetId, services: ServicesDep, who: PrincipalDep
) -> TestPushOut:
    """Send a test push; the phone shows "Test" and confirms it (poll the GET below)."""
    _reach(services, who, office_id, WRITERS)
    push = services.push
    office = services.offices.office(office_id)
    push_id = push.test(office_id, handset_id, office.name) if push else None
    if push is None or push_id is None:
        raise ApiError(404, "not_subscribed", f"handset {handset_id!r} has no push subscription")
    return _test_out(services, push_id, handset_id)


@router.get(
    "/offices/{office_id}/handsets/{handset_id}/test-push/{push_id}", response_model=TestPushOut
)
async def test_push_receipt(
    office_id: OfficeId,
    handset_id: HandsetId,
    push_id: PushId,
    services: ServicesDep,
    who: PrincipalDep,
) -> TestPushOut:
    _reach(services, who, office_id, READERS)
    sent = services.push.sent(push_id) if services.push else None
    if sent is None or (sent.office_id, sent.handset_id, sent.kind) != (
        office_id,
        handset_id,
        "test",
    ):
        raise ApiError(404, "not_found", "no such test push")
    return _test_out(services, push_id, handset_id)


def _test_out(services: Services, push_id: str, handset_id: str) -> TestPushOut:
    assert services.push is not None
    sent = services.push.sent(push_id)
    assert sent is not None
    return TestPushOut(
        push_id=push_id,
        handset_id=handset_id,
        sent_at=sent.sent_at,
        received_at=services.push.received_at(push_id),
    )
