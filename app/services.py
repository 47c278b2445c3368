"""The object graph one running service shares: built in app.main's lifespan, handed down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.adapters.ws.hello_gate import HelloGate
from app.adapters.ws.hub import HandsetHub
from app.adapters.ws.pinger import PingRound
from app.service.clock import Clock
from app.service.delivery import OfferTracker
from app.service.dispatcher import Dispatcher
from app.service.learning.bundle import Learning  # learning after alarms
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.pairing import Pairing
from app.service.ports import AlarmStore
from app.service.presence import Presence
from app.service.push import PushService
from app.service.reach import Reachability
from app.service.rolecards.versions import RoleCardVersions
from app.service.supervision import Supervision
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    offices: OfficeDirectory
    store: AlarmStore
    clock: Clock
    presence: Presence
    hub: HandsetHub
    dispatcher: Dispatcher
    metrics: Metrics
    pings: PingRound  # one timer pings every handset (app.adapters.ws.pinger)
    readiness: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)
    versions: RoleCardVersions | None = None  # role-card versions (app.service.rolecards.versions)
    learning: Learning | None = None  # drills, debriefs, incidents, outreach, statistics
    supervision: Supervision | None = None  # device health and coverage
    pairing: Pairing | None = None  # paired handsets (app.service.pairing)
    hello_gate: HelloGate = field(default_factory=HelloGate)  # sockets yet to say hello
    reach: Reachability | None = None  # per handset: connected, push, unreachable
    push: PushService | None = None  # Web Push to the handsets' service workers
    tracker: OfferTracker | None = None  # whether each offer reached a phone
    vapid_public_key: str | None = None
