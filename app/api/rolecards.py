"""`/api/v1/offices/…/rolecards`: upload, check, activate and list role-card versions.

What a console needs to let a coordinator change a card safely: every problem with its line and
column before anything is used, an explicit activation, and the history of who did what.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel

from app.api.auth import PrincipalDep, ServicesDep, authorize
from app.api.errors import ApiError
from app.config.loader import Problem
from app.config.yamlpos import nesting_problem
from app.core.access import READERS, WRITERS, Principal, Role
from app.core.briefing import people_per_alarm
from app.core.office import Office
from app.service.rolecards.checks import Checked
from app.service.rolecards.versions import (
    HasErrors,
    RoleCardVersions,
    VersionError,
    VersionRow,
    WrongOffice,
)
from app.services import Services

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1", tags=["rolecards"])

MAX_BODY = 256 * 1024
OfficeId = Annotated[str, Path(max_length=128)]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]  # a database integer: 20 digits is a 422
_TEXT = {"schema": {"type": "string"}}
_JSON = {"schema": {"type": "object", "properties": {"content": {"type": "string"}}}}
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the office file (YAML) as text, or JSON {'content': '…'}; ≤ 256 KiB",
        "content": {"text/plain": _TEXT, "application/yaml": _TEXT, "application/json": _JSON},
    }
}


class OfficeOut(BaseModel):
    id: str
    name: str
    active_version: int | None
    active_label: str | None
    rolecard_version: str | None  # what alarms dispatched by the active version record


class ProblemOut(BaseModel):
    severity: Literal["error", "warning"]
    path: str
    line: int | None
    column: int | None
    message: str

    @classmethod
    def of(cls, p: Problem) -> ProblemOut:
        return cls(
            severity=p.severity.value, path=p.path, line=p.line, column=p.column, message=p.message
        )


class PeopleOut(BaseModel):
    required: int  # people one alarm pulls from work with the required roles
    with_optional: int  # and with the optional roles taken too


class CheckOut(BaseModel):
    label: str
    errors: int
    warnings: int
    activatable: bool
    problems: list[ProblemOut]
    people_per_alarm: PeopleOut | None = None  # req. 45; None when the file does not load

    @classmethod
    def of(cls, checked: Checked) -> CheckOut:
        errors, warnings = checked.counts
        return cls(
            label=checked.label,
            errors=errors,
            warnings=warnings,
            activatable=checked.activatable,
            problems=[ProblemOut.of(p) for p in checked.problems],
            people_per_alarm=_people(checked.loaded.office) if checked.loaded else None,
        )


class UploadOut(CheckOut):
    number: int


class VersionOut(BaseModel):
    number: int
    label: str
    rolecard_version: str
    status: Literal["uploaded", "active", "retired"]
    uploaded_at: datetime
    uploaded_by: str
    activated_at: datetime | None
    activated_by: str | None
    errors: int
    warnings: int

    @classmethod
    def of(cls, row: VersionRow) -> VersionOut:
        fields = {k: getattr(row, k) for k in cls.model_fields if k != "rolecard_version"}
        return cls(rolecard_version=row.key, **fields)


class VersionDetail(VersionOut):
    content: str
    activatable: bool
    problems: list[ProblemOut]
    people_per_alarm: PeopleOut | None = None  # None when the file does not load


@router.get("/offices", response_model=list[OfficeOut])
async def list_offices(services: ServicesDep, who: PrincipalDep) -> list[OfficeOut]:
    out = []
    for office_id in sorted(who.offices & services.offices.offices.keys()):
        office = services.offices.office(office_id)
        active = None if services.versions is None else services.versions.active(office_id)
        out.append(
            OfficeOut(
                id=office.id,
                name=office.name,
                active_version=None if active is None else active.number,
                active_label=None if active is None else active.label,
                rolecard_version=office.rolecard.version,
            )
        )
    return out


@router.get("/offices/{office_id}/rolecards", response_model=list[VersionOut])
async def history(
    office_id: OfficeId, services: ServicesDep, who: PrincipalDep
) -> list[VersionOut]:
    versions = _versions(services, who, office_id, READERS)
    try:
        return [VersionOut.of(row) for row in await versions.history(office_id)]
    except VersionError as err:
        raise _mapped(err) from err


@router.get("/offices/{office_id}/rolecards/{number}", response_model=VersionDetail)
async def version(
    office_id: OfficeId, number: Number, services: ServicesDep, who: PrincipalDep
) -> VersionDetail:
    versions = _versions(services, who, office_id, READERS)
    try:
        row, checked = await versions.version(office_id, number)
    except VersionError as err:
        raise _mapped(err) from err
    return VersionDetail(
        **VersionOut.of(row).model_dump(),
        content=row.content,
        activatable=checked.activatable,
        problems=[ProblemOut.of(p) for p in checked.problems],
        people_per_alarm=_people(checked.loaded.office) if checked.loaded else None,
    )


def _people(office: Office) -> PeopleOut:
    count = people_per_alarm(office)
    return PeopleOut(required=count.required, with_optional=count.with_optional)


@router.post(
    "/offices/{office_id}/rolecards/validate", response_model=CheckOut, openapi_extra=FILE_BODY
)
async def validate(
    office_id: OfficeId, request: Request, services: ServicesDep, who: PrincipalDep
) -> CheckOut:
    versions = _versions(services, who, office_id, WRITERS)
    content = await _content(request)
    try:
        return CheckOut.of(await versions.check(office_id, content))
    except VersionError as err:
        raise _mapped(err) from err


@router.post(
    "/offices/{office_id}/rolecards",
    response_model=UploadOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=FILE_BODY,
)
async def upload(
    office_id: OfficeId, request: Request, services: ServicesDep, who: PrincipalDep
) -> UploadOut:
    versions = _versions(services, who, office_id, WRITERS)
    content = await _content(request)
    try:
        result = await versions.upload(office_id, content, _by(who))
    except VersionError as err:
        raise _mapped(err) from err
    errors = sum(p.severity.value == "error" for p in result.problems)
    return UploadOut(
        number=result.number,
        label=result.label,
        errors=errors,
        warnings=len(result.problems) - errors,
        activatable=result.activatable,
        problems=[ProblemOut.of(p) for p in result.problems],
    )


@router.post("/offices/{office_id}/rolecards/{number}/activate", response_model=VersionOut)
async def activate(
    office_id: OfficeId, number: Number, services: ServicesDep, who: PrincipalDep
) -> VersionOut:
    versions = _versions(services, who, office_id, WRITERS)
    try:
        return VersionOut.of(await versions.activate(office_id, number, _by(who)))
    except VersionError as err:
        raise _mapped(err) from err


def _versions(
    services: Services, who: Principal, office_id: str, roles: frozenset[Role]
) -> RoleCardVersions:
    authorize(who, office_id, roles)
    if services.versions is None:
        raise ApiError(503, "unavailable", "role-card versions are not enabled in this service")
    return services.versions


def _by(who: Principal) -> str:
    """Who did it, for the history: the token's role and fingerprint, no personal data."""
    return who.signed


def _mapped(err: VersionError) -> ApiError:
    if isinstance(err, HasErrors | WrongOffice):
        return ApiError(409, err.code, str(err))
    return ApiError(404, err.code, str(err))


async def _content(request: Request) -> str:
    """The office file from the body: YAML as text, or JSON {"content": "…"}; 413 over 256 KiB."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _too_large()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = bytes(body).decode("utf-8-sig")
        if media == "application/json":
            loaded = json.loads(text)
            if not isinstance(loaded, dict) or not isinstance(loaded.get("content"), str):
                raise ApiError(422, "not_text", 'send {"content": "<the office file>"}')
            text = loaded["content"]
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ApiError(422, "not_text", "the body is not UTF-8 text (or JSON)") from None
    if "\x00" in text:
        raise ApiError(422, "not_text", "the body is binary, not text: send the YAML file")
    too_deep = nesting_problem(text, "<upload>")
    if too_deep is not None:  # refused before it is parsed, stored or logged at length
        log.warning("office file refused", reason="too deeply nested")
        raise ApiError(422, "too_nested", str(too_deep))
    return text


def _too_large() -> ApiError:
    return ApiError(413, "too_large", f"the body is over {MAX_BODY // 1024} KiB")
