"""Handsets: who is present, the websocket hub that pushes to them, the round that pings them,
and paired handsets."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from app.adapters.db.pairing import SqlAlchemyHandsetStore
from app.adapters.ws.hub import HandsetHub
from app.adapters.ws.pinger import PingRound
from app.compose.storage import Storage
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.pairing import Pairing
from app.service.presence import Presence
from app.settings import Settings


@dataclass(frozen=True)
class Handsets:
    presence: Presence
    hub: HandsetHub
    pairing: Pairing
    pings: PingRound


async def build_handsets(
    settings: Settings, storage: Storage, clock: Clock, metrics: Metrics, stack: AsyncExitStack
) -> Handsets:
    """Paired handsets sign in from here on; a role-card activation keeps them (the office
    directory re-applies them after a replace)."""
    presence = Presence()
    hub = HandsetHub(presence, clock, metrics)
    storage.versions.on_activated = hub.roles_changed  # idle screens show the new card's roles
    pairing = Pairing(SqlAlchemyHandsetStore(storage.engine), storage.offices, clock.now)
    await pairing.load()
    pings = PingRound(settings.ping_interval_s)
    stack.push_async_callback(pings.close)
    return Handsets(presence, hub, pairing, pings)
