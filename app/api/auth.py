"""Bearer tokens for the HTTP API: each token has a role and the offices it may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.service.offices import Principal
from app.services import Services

_bearer = HTTPBearer(auto_error=False)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token>")
    found = services(request).offices.principal_for_token(credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthenticated", "unknown token")
    return found


ServicesDep = Annotated[Services, Depends(services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
