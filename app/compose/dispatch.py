"""Dispatch: the dispatcher with the journal it writes through, the cards its alarms run on and
the runner of its effects; and the intake that turns device messages into its presses."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from app.adapters.db.places import SqlAlchemyPlaceStore
from app.adapters.notify import build_notifier
from app.compose.storage import Storage
from app.core.alarm import SlotStatus
from app.gc_freeze import frozen_collections
from app.service.cards import Acknowledged, AlarmCards
from app.service.clock import Clock
from app.service.dispatcher import Dispatcher
from app.service.effects import EffectRunner
from app.service.families import FamilyIntake, catalogue_of
from app.service.intake import Intake, ModeSource
from app.service.journal import Journal
from app.service.metered import MeteredNotifier
from app.service.metrics import Metrics
from app.service.notify import ExternalNotifier, NoNotifier
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, FeedbackPort, HandsetNotifier
from app.service.presence import Presence
from app.service.supervision import Supervision
from app.service.whereabouts import Places
from app.settings import Settings
from devices.catalogue import Catalogue


def dispatcher_for(
    *,
    offices: OfficeDirectory,
    store: AlarmStore,
    clock: Clock,
    presence: Presence,
    notifier: HandsetNotifier,
    feedback: FeedbackPort,
    metrics: Metrics,
    external: ExternalNotifier | None = None,
    acknowledged: Acknowledged | None = None,
    on_closed: Callable[[str], Awaitable[object]] | None = None,
    places: Places | None = None,
) -> Dispatcher:
    """A dispatcher and its parts, over these ports (the service's, the simulator's, tests').
    `places` (check-ins, checked-out triggers) defaults to an empty register over `presence`."""
    effects = EffectRunner(
        notifier=notifier, feedback=feedback, external=external or NoNotifier(), clock=clock
    )
    journal = Journal(store)
    dispatcher = Dispatcher(
        offices=offices,
        store=store,
        clock=clock,
        metrics=metrics,
        journal=journal,
        cards=AlarmCards(presence, acknowledged, offices.offices.get, places),
        effects=effects,
        on_closed=on_closed,
    )
    metrics.journal_failures = lambda: journal.failures
    metrics.roles_unfilled = lambda: unfilled_roles(dispatcher, offices)
    return dispatcher


def unfilled_roles(dispatcher: Dispatcher, offices: OfficeDirectory) -> dict[str, int]:
    """Per office, the roles of its open alarms that ran out of people to ask (RoleUnfilled),
    0 for an office without any: what `rollekort_roles_unfilled` reports at each scrape."""
    unfilled = dict.fromkeys(offices.offices, 0)
    for state in dispatcher.open_states():  # one pass: not every open alarm for every office
        if state.office_id in unfilled:
            unfilled[state.office_id] += sum(s.status is SlotStatus.UNFILLED for s in state.slots)
    return unfilled


async def start_dispatch(
    settings: Settings,
    storage: Storage,
    presence: Presence,
    notifier: HandsetNotifier,
    feedback: FeedbackPort,
    metrics: Metrics,
    clock: Clock,
    on_closed: Callable[[str], Awaitable[object]],
    stack: contextlib.AsyncExitStack,
    before_recovery: Callable[[Dispatcher], None] | None = None,
) -> Dispatcher:
    """The service's dispatcher, with its open alarms recovered and their deadlines re-armed.
    `before_recovery` wires what must hear of the dispatcher before recovered alarms are
    offered again (the offer tracker of the second channel). Who sits where is loaded here, as
    the dispatch starts (a restart and a promoted standby alike), before any press is read."""
    places = Places(SqlAlchemyPlaceStore(storage.engine))
    await places.load(clock.now())
    dispatcher = dispatcher_for(
        offices=storage.offices,
        store=storage.store,
        clock=clock,
        presence=presence,
        notifier=MeteredNotifier(notifier, metrics, clock),
        feedback=feedback,
        metrics=metrics,
        external=build_notifier(settings),
        acknowledged=storage.versions.acknowledged,
        on_closed=on_closed,
        places=places,
    )
    stack.push_async_callback(dispatcher.close)
    if before_recovery is not None:
        before_recovery(dispatcher)
    await dispatcher.recover(clock.now() - timedelta(hours=settings.dedupe_horizon_h))
    await _keep_collections_short(settings, metrics, dispatcher, stack)
    return dispatcher


async def _keep_collections_short(
    settings: Settings, metrics: Metrics, dispatcher: Dispatcher, stack: contextlib.AsyncExitStack
) -> None:
    """Garbage collections kept short (app.gc_freeze); a full re-scan waits until no alarm is
    open, so its one long pause does not fall on an alarm."""
    quiet = lambda: not dispatcher.open_states()  # noqa: E731
    await stack.enter_async_context(frozen_collections(settings.gc_freeze, metrics.registry, quiet))


def build_intake(
    settings: Settings,
    offices: OfficeDirectory,
    dispatcher: Dispatcher,
    metrics: Metrics,
    clock: Clock,
    mode_for: ModeSource,
    supervision: Supervision,
) -> tuple[Intake, Catalogue]:
    """Native presses and the device families (Zigbee2MQTT, Tasmota, Shelly, ESPHome) through
    their codecs; the catalogue says which topics to subscribe to."""
    catalogue = catalogue_of(offices.offices.values())
    families = FamilyIntake(catalogue, offices, dispatcher, metrics, clock, mode_for, supervision)
    intake = Intake(
        offices,
        dispatcher,
        metrics,
        settings.max_payload_bytes,
        mode_for=mode_for,
        supervision=supervision,
        families=families,
    )
    return intake, catalogue
