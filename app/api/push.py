"""The handset's Web Push routes, all but the key with its handset token as the bearer.

`GET /api/v1/push/key` serves the VAPID public key the browser subscribes with; the installed
app stores its subscription (`PUT /api/v1/push/subscription`); its service worker confirms every
push it got (`POST /api/v1/push/receipts`) and answers an offer from the lock screen without
opening the page (`POST /api/v1/handset/answers`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from app.api.auth import ServicesDep, services
from app.api.errors import ApiError
from app.core import commands as cmd
from app.core.office import Handset, Office
from app.core.transitions import InvalidTransition
from app.service.push import BadSubscription, PushService, Subscription
from app.services import Services

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1", tags=["push"])
_bearer = HTTPBearer(auto_error=False)

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
B64 = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_=-]+$")]


def handset(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[Office, Handset]:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <handset token>")
    found = services(request).offices.handset_for_token(credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthenticated", "unknown handset token")
    return found


HandsetDep = Annotated[tuple[Office, Handset], Depends(handset)]


def push_of(services: Services) -> PushService:
    if services.push is None:
        raise ApiError(503, "unavailable", "Web Push is not enabled in this service")
    return services.push


class KeyOut(BaseModel):
    public_key: str  # base64url of the uncompressed P-256 point: the applicationServerKey


class Keys(BaseModel):
    p256dh: B64
    auth: B64


class SubscriptionIn(BaseModel):
    """What `PushSubscription.toJSON()` gives; `expirationTime` is accepted and ignored."""

    endpoint: str = Field(min_length=8, max_length=2048)
    keys: Keys
    expirationTime: float | None = None


class ReceiptIn(BaseModel):
    push_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")


class ReceiptOut(BaseModel):
    kind: str


class AnswerIn(BaseModel):
    alarm_id: Id
    role_id: Id
    answer: Literal["accept", "decline"]
    via: Literal["push", "page"] = "push"


class AnswerOut(BaseModel):
    alarm_id: str
    role_id: str
    answer: str


@router.get("/push/key", response_model=KeyOut)
async def push_key(services: ServicesDep) -> KeyOut:
    if services.vapid_public_key is None:
        raise ApiError(503, "unavailable", "Web Push is not enabled in this service")
    return KeyOut(public_key=services.vapid_public_key)


@router.put("/push/subscription", status_code=status.HTTP_204_NO_CONTENT)
async def subscribe(body: SubscriptionIn, services: ServicesDep, me: HandsetDep) -> Response:
    office, found = me
    sub = Subscription(
        office.id, found.id, found.person_id, body.endpoint, body.keys.p256dh, body.keys.auth
    )
    try:
        await push_of(services).subscribe(sub)
    except BadSubscription as err:
        raise ApiError(422, "bad_subscription", str(err)) from err
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/push/subscription", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(services: ServicesDep, me: HandsetDep) -> Response:
    office, found = me
    await push_of(services).unsubscribe(office.id, found.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/push/receipts", response_model=ReceiptOut)
async def receipt(body: ReceiptIn, services: ServicesDep, me: HandsetDep) -> ReceiptOut:
    """The service worker got this push (and showed it, unless it was a silent check)."""
    office, found = me
    sent = await push_of(services).receipt(office.id, found.id, body.push_id)
    if sent is None:
        raise ApiError(404, "unknown_push", "no push with this id was sent to this handset")
    return ReceiptOut(kind=sent.kind)


@router.post("/handset/answers", response_model=AnswerOut)
async def answer(body: AnswerIn, services: ServicesDep, me: HandsetDep) -> AnswerOut:
    """Accept or decline an offer from the notification, as the handset's person."""
    office, found = me
    dispatcher = services.dispatcher
    try:
        owner, person = dispatcher.route(office.id, found.person_id, body.alarm_id)
        command: cmd.Command
        if body.answer == "accept":
            command = cmd.AcceptRole(person_id=person, role_id=body.role_id, via=body.via)
        else:
            command = cmd.DeclineRole(person_id=person, role_id=body.role_id, via=body.via)
        await dispatcher.handle(owner, body.alarm_id, command)
    except InvalidTransition as err:
        services.metrics.commands_refused.labels(err.code).inc()
        raise ApiError(409, err.code, err.message) from err
    log.info("answer by http", handset_id=found.id, answer=body.answer, via=body.via)
    return AnswerOut(alarm_id=body.alarm_id, role_id=body.role_id, answer=body.answer)
