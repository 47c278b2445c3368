"""`/api/v1/.../handsets` and `/api/v1/pair`: hand a phone to a person with a one-time code.

A coordinator creates a handset for a person and shows the phone a code, a link and a QR of
the link; the phone trades the code for its token once (`POST /api/v1/pair`, no token needed,
so it is rate-limited per client address). Revoking closes the handset's live socket at once.
"""

from __future__ import annotations

import io
import time
from collections import deque
from datetime import datetime
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.errors import ApiError
from app.core.access import WRITERS, Principal
from app.core.office import Person
from app.service.pairing import (
    NotFound,
    PairedRow,
    Pairing,
    PairingError,
    PairingRefused,
    UnknownPerson,
)
from app.services import Services

router = APIRouter(prefix="/api/v1", tags=["pairing"])

UNAUTHORISED = 4401  # the websocket close code a revoked handset gets
PAIR_ATTEMPTS = 10  # per client address …
PAIR_WINDOW_S = 60.0  # … per minute
REFUSED = "the pairing code was not accepted (unknown, used or expired): ask for a new one"
OfficeId = Annotated[str, Path(max_length=128)]
HandsetId = Annotated[str, Path(max_length=64)]


class CreateIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=128)


class CreatedOut(BaseModel):
    handset_id: str
    person_id: str
    pairing_code: str
    expires_at: datetime
    pairing_url: str  # <base>/handset?pair=<code>
    qr_svg: str  # an SVG image of pairing_url


class HandsetOut(BaseModel):
    handset_id: str
    person_id: str
    person_name: str | None  # None when the active role card no longer has the person
    status: Literal["pending", "expired", "paired", "revoked"]
    created_at: datetime
    created_by: str
    code_expires_at: datetime
    paired_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class PersonOut(BaseModel):
    person_id: str
    name: str


class PairIn(BaseModel):
    code: str = Field(max_length=32)


class PairOut(BaseModel):
    token: str
    handset_id: str
    office_id: str


class RateLimiter:
    """At most `limit` attempts per `window_s` per key, in memory (one process)."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if len(self._hits) >= self.max_keys:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _sweep(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window_s]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:  # still full: forget the oldest keys
            del self._hits[next(iter(self._hits))]


def limiter(request: Request) -> RateLimiter:
    """One limiter per app (tests run several apps in one process)."""
    found: RateLimiter | None = getattr(request.app.state, "pair_limiter", None)
    if found is None:
        found = RateLimiter(PAIR_ATTEMPTS, PAIR_WINDOW_S)
        request.app.state.pair_limiter = found
    return found


@router.post(
    "/offices/{office_id}/handsets",
    response_model=CreatedOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_handset(
    office_id: OfficeId, body: CreateIn, request: Request, services: ServicesDep, who: PrincipalDep
) -> CreatedOut:
    pairing = _pairing(services, who, office_id)
    try:
        handset_id, code = await pairing.create(office_id, body.person_id, _by(who))
        row = await pairing.get(office_id, handset_id)
    except PairingError as err:
        raise _mapped(err) from err
    url = f"{str(request.base_url).rstrip('/')}/handset?pair={code}"
    return CreatedOut(
        handset_id=handset_id,
        person_id=body.person_id,
        pairing_code=code,
        expires_at=row.code_expires_at,
        pairing_url=url,
        qr_svg=qr_svg(url),
    )


@router.get("/offices/{office_id}/handsets", response_model=list[HandsetOut])
async def list_handsets(
    office_id: OfficeId, services: ServicesDep, who: PrincipalDep
) -> list[HandsetOut]:
    """The office's paired handsets, newest first, revoked ones too; no tokens, no codes."""
    pairing = _pairing(services, who, office_id)
    try:
        rows = await pairing.list(office_id)
    except PairingError as err:
        raise _mapped(err) from err
    people = services.offices.office(office_id).people
    now = pairing.now()
    return [_out(row, people.get(row.person_id), now) for row in rows]


@router.get("/offices/{office_id}/people", response_model=list[PersonOut])
async def list_people(
    office_id: OfficeId, services: ServicesDep, who: PrincipalDep
) -> list[PersonOut]:
    """The people of the active role card, whom a handset can be created for."""
    _pairing(services, who, office_id)
    try:
        office = services.offices.office(office_id)
    except KeyError:
        raise ApiError(404, "not_found", f"office {office_id!r} is not served here") from None
    return [PersonOut(person_id=p.id, name=p.name) for p in office.people.values()]


@router.delete("/offices/{office_id}/handsets/{handset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_handset(
    office_id: OfficeId, handset_id: HandsetId, services: ServicesDep, who: PrincipalDep
) -> Response:
    pairing = _pairing(services, who, office_id)
    try:
        await pairing.revoke(office_id, handset_id, _by(who))
    except PairingError as err:
        raise _mapped(err) from err
    await services.hub.drop(office_id, handset_id, UNAUTHORISED)
    if services.push is not None and services.reach is not None:  # no pushes to a revoked phone
        await services.push.unsubscribe(office_id, handset_id)
        services.reach.forget(office_id, handset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/pair", response_model=PairOut)
async def pair(
    body: PairIn,
    request: Request,
    services: ServicesDep,
    limits: Annotated[RateLimiter, Depends(limiter)],
) -> PairOut | JSONResponse:
    """Trade a one-time pairing code for the handset's token. No bearer token: the code is the
    credential, so attempts are limited per client address (429 with Retry-After)."""
    address = request.client.host if request.client else "unknown"
    if not limits.allow(address):
        message = "too many pairing attempts: wait a minute and try again"
        return JSONResponse(
            {"error": {"code": "too_many_attempts", "message": message}},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(int(PAIR_WINDOW_S))},
        )
    if services.pairing is None:
        raise ApiError(503, "unavailable", "pairing is not enabled in this service")
    try:
        token = await services.pairing.pair(body.code)
    except PairingRefused:
        raise ApiError(400, "pairing_refused", REFUSED) from None
    found = services.offices.handset_for_token(token)
    if found is None:  # paired but not signing in (see Pairing.pair): refuse the same way
        raise ApiError(400, "pairing_refused", REFUSED)
    office, handset = found
    return PairOut(token=token, handset_id=handset.id, office_id=office.id)


def qr_svg(url: str) -> str:
    """The link as a standalone SVG QR code (black on white, a quiet zone of 4 modules), fit
    for an `<img src="data:image/svg+xml,…">` as well as for inlining."""
    buffer = io.BytesIO()
    code = segno.make(url, error="m", micro=False)
    code.save(buffer, kind="svg", scale=4, border=4, dark="#000", light="#fff", xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def _out(row: PairedRow, person: Person | None, now: datetime) -> HandsetOut:
    return HandsetOut(
        handset_id=row.handset_id,
        person_id=row.person_id,
        person_name=None if person is None else person.name,
        status=row.status(now),
        created_at=row.created_at,
        created_by=row.created_by,
        code_expires_at=row.code_expires_at,
        paired_at=row.paired_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def _pairing(services: Services, who: Principal, office_id: str) -> Pairing:
    authorize(who, office_id, WRITERS, "manage handsets")
    if services.pairing is None:
        raise ApiError(503, "unavailable", "pairing is not enabled in this service")
    return services.pairing


def _by(who: Principal) -> str:
    """Who did it, for the list: the token's role and fingerprint, no personal data."""
    return who.signed


def _mapped(err: PairingError) -> ApiError:
    if isinstance(err, NotFound):
        return ApiError(404, err.code, str(err))
    if isinstance(err, UnknownPerson):
        return ApiError(422, err.code, str(err))
    return ApiError(409, err.code, str(err))
