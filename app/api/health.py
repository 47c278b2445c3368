"""Liveness, readiness (broker and database reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from app.api.auth import ServicesDep
from app.services import Services

router = APIRouter()


class Health(BaseModel):
    status: str
    problems: list[str] = []


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


COMPONENTS = ("database", "broker")
"""What `rollekort_component_up` reports: a readiness problem names its component first."""


async def _problems(services: Services) -> list[str]:
    """What keeps the service from being ready, each as "<component>: reason"."""
    problems: list[str] = []
    try:
        await services.store.ping()
    except Exception as err:
        problems.append(f"database: {err!r}")
    for check in services.readiness:
        problem = await check()
        if problem:
            problems.append(problem)
    return problems


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> Response:
    problems = await _problems(services)
    body = Health(status="ok" if not problems else "unavailable", problems=problems)
    return JSONResponse(body.model_dump(), status_code=200 if not problems else 503)


@router.get("/metrics", response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    services.metrics.journal_backlog.set(services.dispatcher.journal_backlog)
    problems = await _problems(services)
    for component in COMPONENTS:
        down = any(p.startswith(f"{component}:") for p in problems)
        services.metrics.component_up.labels(component).set(0 if down else 1)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
