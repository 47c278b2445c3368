"""The composition root: settings in, a running FastAPI app out. Nothing is built at import time,
so tests (and several instances in one process) build their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from importlib import resources

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.adapters.db.engine import make_engine
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.adapters.db.versions import SqlAlchemyVersionStore
from app.adapters.mqtt.embedded import EmbeddedBroker
from app.adapters.mqtt.ingest import MqttIngest
from app.adapters.mqtt.publisher import MqttPublisher
from app.adapters.notify import build_notifier
from app.adapters.ws.hub import HandsetHub
from app.api import alarms, console, errors, handset_ws, health, pages, rolecards
from app.config.loader import load_office_file, office_files
from app.service.clock import Clock, SystemClock
from app.service.dispatcher import Dispatcher
from app.service.intake import Intake
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.presence import Presence
from app.service.versions import RoleCardVersions, open_alarm_versions
from app.services import Services
from app.settings import Settings

log = structlog.get_logger(__name__)
STATIC = resources.files("app.web") / "static"


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(settings, clock or SystemClock()) as services:
            app.state.services = services
            yield

    app = FastAPI(title="Rollekort", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(alarms.router)
    app.include_router(handset_ws.router)
    app.include_router(rolecards.router)
    app.include_router(pages.router)
    app.include_router(console.router)
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
    files = office_files(settings.config)
    every = [load_office_file(path) for path in files]
    for warning in (w for loaded in every for w in loaded.warnings):
        log.warning("office file", problem=str(warning))
    offices = OfficeDirectory(every)
    metrics = Metrics()
    presence = Presence()
    hub = HandsetHub(presence, clock, metrics)
    async with contextlib.AsyncExitStack() as stack:
        if settings.embedded:
            broker = EmbeddedBroker(settings.embedded_broker_host, settings.embedded_broker_port)
            await broker.start()
            stack.push_async_callback(broker.stop)
        engine = make_engine(settings.db)
        store = SqlAlchemyAlarmStore(engine)
        stack.push_async_callback(store.close)
        # Role-card versions: the active stored card replaces the file's before anything
        # dispatches; the cards of open alarms stay loaded for office_version.
        versions = RoleCardVersions(SqlAlchemyVersionStore(engine), offices, clock.now)
        texts = [await asyncio.to_thread(p.read_text, "utf-8-sig") for p in files]
        by_office = {loaded.office.id: text for loaded, text in zip(every, texts, strict=True)}
        await versions.start(by_office, await open_alarm_versions(store))
        publisher = MqttPublisher(settings.broker_url)
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        dispatcher = Dispatcher(
            offices=offices,
            store=store,
            clock=clock,
            presence=presence,
            notifier=hub,
            feedback=publisher,
            metrics=metrics,
            external=build_notifier(settings),
            acknowledged=versions.acknowledged,
        )
        stack.push_async_callback(dispatcher.close)
        await dispatcher.recover(clock.now() - timedelta(hours=settings.dedupe_horizon_h))
        intake = Intake(offices, dispatcher, metrics, settings.max_payload_bytes)
        ingest = MqttIngest.from_settings(settings, intake.on_message)
        await ingest.start()
        stack.push_async_callback(ingest.stop)
        services = Services(
            settings=settings,
            offices=offices,
            store=store,
            clock=clock,
            presence=presence,
            hub=hub,
            dispatcher=dispatcher,
            metrics=metrics,
            versions=versions,
        )
        services.readiness.append(_broker_check(ingest))
        log.info("rollekort ready", broker=settings.broker_url, offices=sorted(offices.offices))
        yield services


def _broker_check(ingest: MqttIngest) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        return None if ingest.connected else "broker: not connected"

    return check
