"""Learning API access: API tokens by role, and staff by the handset token on their phone
(`CallerDep`, app.api.auth), so a staff member can log an incident or run an outreach session
from the phone they carry. Errors of the learning services as HTTP answers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Path

from app.api.auth import authorize
from app.api.errors import ApiError
from app.core.access import Principal, Role
from app.service.learning.bundle import Learning
from app.service.learning.ports import Conflict, Invalid, LearningError, NotFound
from app.services import Services

OfficeId = Annotated[str, Path(max_length=128)]
ItemId = Annotated[str, Path(max_length=64)]


def learning_of(services: Services) -> Learning:
    if services.learning is None:
        raise ApiError(503, "not_configured", "the learning services are not running")
    return services.learning


def for_office(
    services: Services, who: Principal, office_id: str, roles: frozenset[Role]
) -> Learning:
    """403 outside the caller's offices or role, 404 for an office this service does not run."""
    authorize(who, office_id, roles)
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
