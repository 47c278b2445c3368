"""Liveness, readiness (broker and database reachable) and Prometheus metrics.

`/metrics` tells when an office has nobody present (`rollekort_coverage_degraded`), which is
the moment to walk in: it answers only a scraper with `ROLLEKORT_METRICS_TOKEN` as a bearer
token, or, without a token configured, only loopback clients (issue 12, hole 6).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from app.core.leadership import Replica
from app.services import Services

router = APIRouter()


class Health(BaseModel):
    status: str
    problems: list[str] = []
    replica: str | None = None  # which replica answered (ROLLEKORT_REPLICA_ID or hostname:pid)


@router.get("/healthz", response_model=Health)
@router.get("/livez", response_model=Health, include_in_schema=False)
async def healthz() -> Health:
    """Liveness: 200 on every replica that runs, leader and standby alike."""
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
async def readyz(request: Request) -> Response:
    """200 only on the replica that leads and takes presses (the load balancer's check); a
    standby answers 503 with status "standby" (issue 14)."""
    replica: Replica = request.app.state.replica
    services: Services | None = request.app.state.services
    if services is None or not replica.leads:
        body = Health(
            status=replica.role.value, problems=[replica.reason], replica=replica.replica_id
        )
        return JSONResponse(body.model_dump(), status_code=503)
    problems = await _problems(services)
    body = Health(
        status="ok" if not problems else "unavailable",
        problems=problems,
        replica=replica.replica_id,
    )
    return JSONResponse(body.model_dump(), status_code=200 if not problems else 503)


@router.get("/metrics", response_class=Response, responses={403: {"description": "no"}})
async def metrics(request: Request) -> Response:
    """On a standby only its own gauges (`rollekort_leader` 0) are meaningful."""
    services: Services | None = request.app.state.services
    if not _may_scrape(request, request.app.state.settings.metrics_token):
        return Response("metrics need the metrics token\n", status_code=403)
    registry = request.app.state.metrics.registry
    if services is None:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    services.metrics.journal_backlog.set(services.dispatcher.journal_backlog)
    problems = await _problems(services)
    for component in COMPONENTS:
        down = any(p.startswith(f"{component}:") for p in problems)
        services.metrics.component_up.labels(component).set(0 if down else 1)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _may_scrape(request: Request, token: str | None) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
