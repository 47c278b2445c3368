"""Who is calling the HTTP API and what it may do, answered as HTTP (see app.core.access).

`PrincipalDep`: an API token (its role and offices) or a console session from the organisation's
identity provider (app.api.signin). `CallerDep`: either of those or a handset's token (staff in
the handset's office), for the endpoints staff use from the phone they carry.
`authorize` is the one check: 403 outside the principal's offices or roles.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.api.signin import session_principal
from app.core.access import Principal, Role
from app.services import Services

_bearer = HTTPBearer(auto_error=False)
_UNAUTHENTICATED = "send Authorization: Bearer <token> (or sign in to the console)"


NOT_LEADING = (
    "this replica is not leading (a standby, or starting): try again, the load balancer sends "
    "requests to the leader"
)


def services(request: Request) -> Services:
    """The running services; 503 on a replica that does not lead (issue 14)."""
    found: Services | None = getattr(request.app.state, "services", None)
    if found is None:
        raise ApiError(503, "not_leading", NOT_LEADING)
    return found


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The API token's principal, or the console session's; 401 without a known one."""
    if credentials is None:
        return _session(request)
    found = services(request).offices.principal_for_token(credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthenticated", "unknown token")
    return found


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """An API token's principal, a console session's, or staff by the handset token on their
    phone; 401 otherwise."""
    if credentials is None:
        return _session(request)
    offices = services(request).offices
    found = offices.principal_for_token(credentials.credentials)
    if found is not None:
        return found
    handset = offices.handset_for_token(credentials.credentials)
    if handset is None:
        raise ApiError(401, "unauthenticated", "unknown token")
    office, signed_in = handset
    return Principal(
        Role.STAFF,
        frozenset({office.id}),
        handset_id=signed_in.id,
        person_id=signed_in.person_id,
    )


def _session(request: Request) -> Principal:
    """Without a bearer token: the console session's principal; 401 without one."""
    found = session_principal(request)
    if found is None:
        raise ApiError(401, "unauthenticated", _UNAUTHENTICATED)
    return found


def authorize(
    who: Principal,
    office_id: str,
    roles: frozenset[Role] | None = None,
    doing: str = "do this",
) -> None:
    """403 unless the principal covers the office and (when `roles` is given) has one of them."""
    if not who.may_see(office_id):
        raise ApiError(403, "forbidden", f"your token does not cover office {office_id!r}")
    if roles is not None and not who.may(roles):
        raise ApiError(403, "forbidden", f"role {str(who.role)!r} may not {doing}")


ServicesDep = Annotated[Services, Depends(services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
CallerDep = Annotated[Principal, Depends(caller)]
