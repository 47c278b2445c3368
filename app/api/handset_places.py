"""Handset frames about where its person is: check-in and check-out at a desk or room, and a
worn trigger taken for a shift or a conversation and handed back (docs/protocol.md, Places).

Every id is checked against the office: a desk that does not exist, or a fixed button offered
as a worn trigger, is an `error` frame, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from app.adapters.ws import inbound
from app.core.office import Office, TriggerKind
from app.core.whereabouts import Whereabouts
from app.service.whereabouts import Places

log = structlog.get_logger(__name__)

Send = Callable[[dict[str, Any]], None]
PlaceFrame = inbound.CheckIn | inbound.CheckOut | inbound.Carry | inbound.GiveBack


class PlaceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def places_view(office: Office, where: Whereabouts, person_id: str) -> dict[str, Any]:
    """What the handset shows and offers: where I am, what I carry, and the choices."""
    place = where.place_of(person_id)
    return {
        "place": _location(office, place) if place else None,
        "carrying": [
            {"device_id": c.device_id, "location": _location(office, c.location_id)}
            for c in where.carried
            if c.person_id == person_id
        ],
        "locations": [_location(office, x) for x in office.locations],
        "worn_triggers": sorted(
            t.device_id for t in office.triggers.values() if t.kind is TriggerKind.WORN
        ),
    }


def _location(office: Office, location_id: str | None) -> dict[str, str] | None:
    if location_id is None or location_id not in office.locations:
        return None
    x = office.locations[location_id]
    return {"id": x.id, "name": x.name, "zone": x.zone}


async def handle_place(
    frame: PlaceFrame, office: Office, person_id: str, places: Places, now: Any, send: Send
) -> None:
    """Apply one place frame, store it, and answer with the person's places as they are now."""
    match frame:
        case inbound.CheckIn(location_id=loc, until=until):
            _known_location(office, loc)
            places.check_in(office.id, person_id, loc, now, until)
        case inbound.CheckOut():
            places.check_out(office.id, person_id)
        case inbound.Carry(device_id=device, location_id=loc, until=until):
            _worn(office, device)
            if loc is not None:
                _known_location(office, loc)
            places.carry(office.id, device, person_id, loc, now, until)
        case inbound.GiveBack(device_id=device):
            _worn(office, device)
            carry = places.snapshot(office.id, now).carry_of(device)
            if carry is not None and carry.person_id != person_id:
                raise PlaceError("not_yours", f"{device!r} is checked out to someone else")
            places.give_back(office.id, device)
    await stored(places)
    log.info("handset place", office_id=office.id, frame=frame.type)
    send({"type": "places", **places_view(office, places.snapshot(office.id, now), person_id)})


async def stored(places: Places) -> None:
    """Write the change through. Should the database fail, the change still holds in memory
    (the next change retries the write) and the handset is answered: a press now is read right,
    only a restart before the retry would forget it."""
    try:
        await places.persist()
    except Exception as err:  # any database failure: logged, never raised to the handset
        log.warning("handset place not stored", error=type(err).__name__)


def _known_location(office: Office, location_id: str) -> None:
    if location_id not in office.locations:
        raise PlaceError("unknown_location", f"no location {location_id!r} in this office")


def _worn(office: Office, device_id: str) -> None:
    trigger = office.triggers.get(device_id)
    if trigger is None or trigger.kind is not TriggerKind.WORN:
        raise PlaceError("not_worn", f"{device_id!r} is not a worn trigger of this office")
