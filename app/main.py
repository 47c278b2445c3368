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
from app.adapters.db.handsets import SqlAlchemyHandsetStore
from app.adapters.db.learning import SqlAlchemyLearningStore  # learning after alarms
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.adapters.db.versions import SqlAlchemyVersionStore
from app.adapters.mqtt.embedded import EmbeddedBroker
from app.adapters.mqtt.ingest import MqttIngest
from app.adapters.mqtt.publisher import MqttPublisher
from app.adapters.notify import build_notifier
from app.adapters.ws.hub import HandsetHub
from app.api import alarms, console, coverage, errors, handset_ws, health, pages, rolecards
from app.api import learning as learning_api  # learning after alarms
from app.api import pairing as pairing_api
from app.api import signin as signin_api  # console sign-in through the identity provider
from app.config.loader import load_office_file, office_files
from app.service.broker_access import embedded_access
from app.service.clock import Clock, SystemClock
from app.service.debriefs import Debriefs  # learning after alarms
from app.service.dispatcher import Dispatcher
from app.service.families import FamilyIntake, catalogue_of
from app.service.intake import Intake
from app.service.learning import Learning  # learning after alarms
from app.service.metered import MeteredNotifier
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.outreach import dispatcher_raiser  # learning after alarms
from app.service.pairing import Pairing
from app.service.presence import Presence
from app.service.supervision import Supervision
from app.service.versions import RoleCardVersions, open_alarm_versions
from app.services import Services
from app.settings import Settings

WS_PER_MESSAGE_DEFLATE = False
"""uvicorn's `ws_per_message_deflate` for Rollekort. No websocket compression: handset frames
are a few hundred bytes to a kilobyte on the office network, and deflating each one cost more time
on both ends (about a tenth of a press's path to its offer, measured) than its bytes take on the
wire."""

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
    app.include_router(pairing_api.router)  # handset pairing
    app.include_router(coverage.router)
    app.include_router(pages.router)
    app.include_router(console.router)
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
    files = office_files(settings.config)
    every = [load_office_file(path) for path in files]
    for warning in (w for loaded in every for w in loaded.warnings):
        log.warning("office file", problem=str(warning))
    offices = OfficeDirectory(every)
    metrics = Metrics()
    presence = Presence()
    hub = HandsetHub(presence, clock, metrics)
    texts = [await asyncio.to_thread(p.read_text, "utf-8-sig") for p in files]
    broker_url = settings.broker_url
    async with contextlib.AsyncExitStack() as stack:
        if settings.embedded:
            access = embedded_access(texts, settings)  # who may publish what, as in Mosquitto
            broker = EmbeddedBroker(
                settings.embedded_broker_host,
                settings.embedded_broker_port,
                access=access.users if access else None,
            )
            await broker.start()
            stack.push_async_callback(broker.stop)
            broker_url = access.url if access else broker_url
        engine = make_engine(settings.db)
        store = SqlAlchemyAlarmStore(engine)
        stack.push_async_callback(store.close)
        # Role-card versions: the active stored card replaces the file's before anything
        # dispatches; the cards of open alarms stay loaded for office_version.
        versions = RoleCardVersions(SqlAlchemyVersionStore(engine), offices, clock.now)
        by_office = {loaded.office.id: text for loaded, text in zip(every, texts, strict=True)}
        await versions.start(by_office, await open_alarm_versions(store))
        # Paired handsets (app.service.pairing): they sign in from here on, and a role-card
        # activation keeps them (OfficeDirectory re-applies them after a replace).
        pairing = Pairing(SqlAlchemyHandsetStore(engine), offices, clock.now)
        await pairing.load()
        publisher = MqttPublisher(broker_url)
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        # Learning after alarms: debriefs exist before the dispatcher, whose closing hook
        # opens them (`debriefs.on_alarm_closed`).
        learning_store = SqlAlchemyLearningStore(engine)
        debriefs = Debriefs(learning_store, store, offices, clock)
        dispatcher = Dispatcher(
            offices=offices,
            store=store,
            clock=clock,
            presence=presence,
            notifier=MeteredNotifier(hub, metrics, clock),
            feedback=publisher,
            metrics=metrics,
            external=build_notifier(settings),
            acknowledged=versions.acknowledged,
            on_closed=debriefs.on_alarm_closed,
        )
        stack.push_async_callback(dispatcher.close)
        await dispatcher.recover(clock.now() - timedelta(hours=settings.dedupe_horizon_h))
        # Learning after alarms: drill windows loaded and outreach timers armed before the
        # intake takes presses (the intake's `mode_for` is `learning.drills.mode_for`).
        raise_alarm = dispatcher_raiser(offices, dispatcher)
        learning = Learning.build(
            learning_store, store, offices, clock, raise_alarm, debriefs=debriefs
        )
        await learning.start()
        stack.push_async_callback(learning.close)
        # Supervision: device health and coverage, told to handsets when it changes.
        supervision = Supervision(offices, presence, clock, hub.coverage, metrics.coverage_degraded)
        supervision.start(await store.last_button_tests())
        stack.callback(supervision.close)
        # Device families (Zigbee2MQTT, Tasmota, Shelly, ESPHome) through their codecs.
        catalogue = catalogue_of(offices.offices.values())
        mode_for = learning.drills.mode_for
        families = FamilyIntake(
            catalogue, offices, dispatcher, metrics, clock, mode_for, supervision
        )
        intake = Intake(
            offices,
            dispatcher,
            metrics,
            settings.max_payload_bytes,
            mode_for=mode_for,
            supervision=supervision,
            families=families,
        )
        ingest = MqttIngest(
            broker_url,
            intake.on_message,
            client_id=settings.mqtt_client_id,
            session_expiry_s=settings.mqtt_session_expiry_s,
            filters=catalogue.subscriptions(),
        )
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
            learning=learning,  # learning after alarms
            pairing=pairing,  # handset pairing
            supervision=supervision,
        )
        services.readiness.append(_broker_check(ingest))
        log.info("rollekort ready", broker=settings.broker_url, offices=sorted(offices.offices))
        yield services


def _broker_check(ingest: MqttIngest) -> Callable[[], Awaitable[str | None]]:
    async def check() -> str | None:
        return None if ingest.connected else "broker: not connected"

    return check
