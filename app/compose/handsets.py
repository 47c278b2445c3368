"""Handsets: who is present, the websocket hub that pushes to them, and paired handsets."""

from __future__ import annotations

from dataclasses import dataclass

from app.adapters.db.pairing import SqlAlchemyHandsetStore
from app.adapters.ws.hub import HandsetHub
from app.compose.storage import Storage
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.pairing import Pairing
from app.service.presence import Presence


@dataclass(frozen=True)
class Handsets:
    presence: Presence
    hub: HandsetHub
    pairing: Pairing


async def build_handsets(storage: Storage, clock: Clock, metrics: Metrics) -> Handsets:
    """Paired handsets sign in from here on; a role-card activation keeps them (the office
    directory re-applies them after a replace)."""
    presence = Presence()
    hub = HandsetHub(presence, clock, metrics)
    storage.versions.on_activated = hub.roles_changed  # idle screens show the new card's roles
    pairing = Pairing(SqlAlchemyHandsetStore(storage.engine), storage.offices, clock.now)
    await pairing.load()
    return Handsets(presence, hub, pairing)
