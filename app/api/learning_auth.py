"""Learning API access: API tokens by role, and staff by the handset token on their phone.

So a staff member can log an incident or run an outreach session from the phone they carry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.auth import services
from app.api.errors import ApiError
from app.service.learning import Learning
from app.service.learning_ports import Conflict, Invalid, LearningError, NotFound
from app.services import Services

STAFF = "staff"  # a handset token: one person in one office
WRITERS = frozenset({"admin", "coordinator"})
READERS = WRITERS | {"viewer"}
STAFF_AND_WRITERS = WRITERS | {STAFF}
OfficeId = Annotated[str, Path(max_length=128)]
ItemId = Annotated[str, Path(max_length=64)]

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Caller:
    role: str
    offices: frozenset[str]
    by: str  # what the records keep: "token:<8 hex>" or "handset:<id>", never a name
    person_id: str | None = None  # staff only


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token>")
    offices = services(request).offices
    principal = offices.principal_for_token(credentials.credentials)
    if principal is not None:
        return Caller(principal.role, principal.offices, f"token:{principal.token_id}")
    handset = offices.handset_for_token(credentials.credentials)
    if handset is not None:
        office, found = handset
        return Caller(STAFF, frozenset({office.id}), f"handset:{found.id}", found.person_id)
    raise ApiError(401, "unauthenticated", "unknown token")


CallerDep = Annotated[Caller, Depends(caller)]


def learning_of(services: Services) -> Learning:
    if services.learning is None:
        raise ApiError(503, "not_configured", "the learning services are not running")
    return services.learning


def for_office(services: Services, who: Caller, office_id: str, roles: frozenset[str]) -> Learning:
    """403 outside the caller's offices or role, 404 for an office this service does not run."""
    if office_id not in who.offices:
        raise ApiError(403, "forbidden", f"your token does not cover office {office_id!r}")
    if who.role not in roles:
        raise ApiError(403, "forbidden", f"a {who.role} token may not do this")
    if office_id not in services.offices.offices:
        raise ApiError(404, "not_found", f"office {office_id!r} not found")
    return learning_of(services)


@contextlib.contextmanager
def answered() -> Iterator[None]:
    """The service's refusals as HTTP errors: 404, 409, 422."""
    try:
        yield
    except NotFound as err:
        raise ApiError(404, err.code, err.message) from err
    except Conflict as err:
        raise ApiError(409, err.code, err.message) from err
    except Invalid as err:
        raise ApiError(422, err.code, err.message) from err
    except LearningError as err:
        raise ApiError(400, err.code, err.message) from err
