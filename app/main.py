"""The composition root: settings in, a running FastAPI app out. Nothing is built at import time,
so tests (and several instances in one process) build their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.adapters.db.leadership import PgLeadership
from app.adapters.mqtt.ingest import MqttIngest
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
from app.compose.replica import Fatal, exit_process, guard_intake, leading, replica_of
from app.compose.storage import open_storage
from app.compose.supervision import start_supervision
from app.core.leadership import Replica
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


def create_app(
    settings: Settings, clock: Clock | None = None, fatal: Fatal = exit_process
) -> FastAPI:
    """`fatal(reason)` is called when this replica stops leading (default: the process exits)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        replica, metrics = replica_of(settings), Metrics()
        app.state.replica, app.state.metrics, app.state.services = replica, metrics, None
        run = _Run(settings, clock or SystemClock(), metrics, replica, fatal)
        if not settings.db.startswith("postgresql"):  # one process: it leads from its start
            async with run.running() as services:
                app.state.services = services
                yield
            return
        async with _in_background(app, run):  # HTTP serves (503 standby) while it waits
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
    app.state.settings = settings  # /metrics asks for its token on a standby too
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


class _Run:
    """What one replica's start-up needs, to run it in the lifespan or in the background."""

    def __init__(
        self, settings: Settings, clock: Clock, metrics: Metrics, replica: Replica, fatal: Fatal
    ) -> None:
        self.settings, self.clock, self.metrics = settings, clock, metrics
        self.replica, self.fatal = replica, fatal

    def running(self) -> contextlib.AbstractAsyncContextManager[Services]:
        return _running(self.settings, self.clock, self.metrics, self.replica, self.fatal)


@contextlib.asynccontextmanager
async def _in_background(app: FastAPI, run: _Run) -> AsyncIterator[None]:
    """Wait for leadership (and promote) in a task, so uvicorn serves /healthz and the standby's
    503s meanwhile; on shutdown a standby stops waiting and a leader closes down in order."""
    stop = asyncio.Event()

    async def lead_until_stopped() -> None:
        try:
            async with run.running() as services:
                app.state.services = services
                await stop.wait()
                app.state.services = None
        except asyncio.CancelledError:
            raise
        except Exception as err:  # promotion failed: free the lock for another replica
            log.exception("promotion failed", replica=run.replica.replica_id)
            run.fatal(f"promotion failed: {err!r}")

    task = asyncio.create_task(lead_until_stopped())
    try:
        yield
    finally:
        if app.state.services is None:
            task.cancel()
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def _running(
    settings: Settings, clock: Clock, metrics: Metrics, replica: Replica, fatal: Fatal
) -> AsyncIterator[Services]:
    """One builder per area (app.compose), in the order they depend on each other; the
    intake takes presses last, once everything a press reaches is running. On PostgreSQL a
    standby waits in `open_storage` until it leads."""
    async with contextlib.AsyncExitStack() as stack:
        storage = await open_storage(settings, clock, stack, replica, fatal)
        handsets = await build_handsets(settings, storage, clock, metrics, stack)
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
            before_recovery=lambda d: reaching.connect(d, storage.offices, metrics),
        )
        learning = await start_learning(storage, dispatcher, debriefs, clock, stack)
        tell_handsets(learning, handsets.hub, storage.offices)  # drills next door, visits
        supervision = await start_supervision(
            storage, handsets, metrics, clock, stack, dispatcher.places, reaching.reach.problems
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
            pings=handsets.pings,
            versions=storage.versions,
            learning=learning,
            pairing=handsets.pairing,
            supervision=supervision,
            reach=reaching.reach,  # Web Push (issue 17)
            push=reaching.push,
            tracker=reaching.tracker,
            vapid_public_key=reaching.public_key,
        )
        _ready(services, replica, storage.leadership, ingest)
        yield services


def _ready(
    services: Services, replica: Replica, leadership: PgLeadership | None, ingest: MqttIngest
) -> None:
    """Taking presses now, its intake guarded by the leadership (app.compose.replica)."""
    services.readiness.append(broker_check(ingest))
    if leadership is not None:
        guard_intake(leadership, ingest)
    offices = sorted(services.offices.offices)
    log.info("rollekort ready", broker=redact_url(services.settings.broker_url), offices=offices)
    leading(replica, services.metrics)
