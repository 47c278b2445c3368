"""The composition root: settings in, a running FastAPI app out. Nothing is built at import time,
so tests (and several instances in one process) build their own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.adapters.ws import endpoint as handset_ws
from app.api import alarms, console, coverage, errors, health, pages, rolecards
from app.api import pairing as pairing_api
from app.api import push as push_api  # Web Push (issue 17)
from app.api import reachability as reachability_api
from app.api import signin as signin_api  # console sign-in through the identity provider
from app.api.edge import EdgeChecks
from app.api.learning import drills as learning_api  # learning after alarms
from app.api.security_headers import SecurityHeaders
from app.compose.broker import broker_check, open_broker, start_ingest
from app.compose.dispatch import build_intake, start_dispatch
from app.compose.handsets import build_handsets
from app.compose.learning import build_debriefs, start_learning, tell_handsets
from app.compose.reaching import build_reaching
from app.compose.storage import open_storage
from app.compose.supervision import start_supervision
from app.redact import redact_url
from app.service.clock import Clock, SystemClock
from app.service.metrics import Metrics
from app.services import Services
from app.settings import Settings

WS_PER_MESSAGE_DEFLATE = False
"""uvicorn's `ws_per_message_deflate` for Rollekort. No websocket compression: handset frames
are a few hundred bytes to a kilobyte on the office network, and deflating each one cost more time
on both ends (about a tenth of a press's path to its offer, measured) than its bytes take on the
wire."""

ACCEPT_BACKLOG = 4096
"""uvicorn's listen backlog for Rollekort (its default is 2048; Linux caps it at somaxconn, 4096
here). After a restart every handset reconnects at once; connections beyond the backlog were
dropped mid-handshake in a 4,000-handset storm (the client saw no HTTP response)."""

log = structlog.get_logger(__name__)
STATIC = resources.files("app.web") / "static"


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(settings, clock or SystemClock()) as services:
            app.state.services = services
            yield

    # No /docs or /redoc: FastAPI loads their scripts from a CDN onto this origin (issue 12,
    # hole 6); /openapi.json stays for any OpenAPI viewer.
    app = FastAPI(
        title="Rollekort", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.add_middleware(EdgeChecks)  # NUL and oversized bodies: 4xx before any route
    app.add_middleware(SecurityHeaders)  # outermost: on every response, refusals included
    errors.install(app)
    app.include_router(health.router)
    app.include_router(alarms.router)
    app.include_router(handset_ws.router)
    app.include_router(rolecards.router)
    app.include_router(pairing_api.router)  # handset pairing
    app.include_router(coverage.router)
    app.include_router(pages.router)
    app.include_router(console.router)
    app.include_router(push_api.router)  # Web Push: subscriptions, receipts, answers
    app.include_router(reachability_api.router)
    app.state.sign_in = signin_api.build_sign_in(settings)  # None without ROLLEKORT_OIDC_ISSUER
    app.include_router(signin_api.router)
    for router in learning_api.ROUTERS:  # learning after alarms
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/handset", include_in_schema=False)
    async def handset_page() -> FileResponse:
        return FileResponse(str(STATIC / "handset.html"))

    @app.get("/", include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/handset")

    return app


@contextlib.asynccontextmanager
async def _running(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    """One builder per area (app.compose), in the order they depend on each other; the
    intake takes presses last, once everything a press reaches is running."""
    async with contextlib.AsyncExitStack() as stack:
        metrics = Metrics()
        storage = await open_storage(settings, clock, stack)
        handsets = await build_handsets(storage, clock, metrics)
        # The second channel: offers by socket and by Web Push, each confirmed by the phone.
        reaching = await build_reaching(
            settings, storage.engine, handsets.presence, handsets.hub, clock
        )
        stack.push_async_callback(reaching.close)
        broker = await open_broker(settings, storage.texts, stack)
        debriefs = build_debriefs(storage, clock)
        closed = debriefs.on_alarm_closed  # a closing alarm opens its debrief
        dispatcher = await start_dispatch(
            settings,
            storage,
            handsets.presence,
            reaching.notifier,
            broker.publisher,
            metrics,
            clock,
            closed,
            stack,
            before_recovery=lambda d: reaching.connect(d, storage.offices),
        )
        learning = await start_learning(storage, dispatcher, debriefs, clock, stack)
        tell_handsets(learning, handsets.hub, storage.offices)  # drills next door, visits
        places = dispatcher.places
        supervision = await start_supervision(
            storage, handsets, metrics, clock, stack, places, reaching.reach.problems
        )
        mode_for = learning.drills.mode_for
        intake, catalogue = build_intake(
            settings, storage.offices, dispatcher, metrics, clock, mode_for, supervision
        )
        ingest = await start_ingest(settings, broker, intake, catalogue.subscriptions(), stack)
        services = Services(
            settings=settings,
            offices=storage.offices,
            store=storage.store,
            clock=clock,
            presence=handsets.presence,
            hub=handsets.hub,
            dispatcher=dispatcher,
            metrics=metrics,
            versions=storage.versions,
            learning=learning,
            pairing=handsets.pairing,
            supervision=supervision,
            reach=reaching.reach,  # Web Push (issue 17)
            push=reaching.push,
            tracker=reaching.tracker,
            vapid_public_key=reaching.public_key,
        )
        services.readiness.append(broker_check(ingest))
        offices = sorted(storage.offices.offices)
        log.info("rollekort ready", broker=redact_url(settings.broker_url), offices=offices)
        yield services
