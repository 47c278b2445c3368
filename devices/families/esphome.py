"""ESPHome: a button or contact wired to an ESP running ESPHome with the `mqtt:` component.

The address is `<topic_prefix>#<object_id>` (the prefix defaults to the node name; the object id
is the entity's name in snake case), e.g. `resepsjon-panikk#panic_button`. Read:
- `<prefix>/binary_sensor/<id>/state` `ON`/`OFF`. ESPHome publishes it retained and again on
  every reconnect (`send_initial_state`), so a state is not an event: a press is a change to ON
  that we saw happen. A retained ON (on our subscribe) never raises an alarm; an ON while we last
  saw ON (a reconnect repeating a held or latched button) is not a new press; OFF is a release,
  never a cancel. With no state seen yet, a live ON counts, so a press right after our start is
  not lost. A button that was latched while we were away and is replayed retained is reported as
  `Ignored("retained_on")` for the intake to log loudly.
- `<prefix>/event/<id>/state` `{"event_type":"..."}` (the event entity, better suited: stateless):
  a press per event type, the same type within the dedupe window is one press; retained by
  default too, so a retained event is a replay and ignored.
- `<prefix>/status` `online`/`offline` (birth and last will, retained).
- `<prefix>/sensor/<battery|battery_level>/state` and `<prefix>/sensor/<wifi_signal>/state`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from devices.families.base import (
    Codec,
    DeviceSignal,
    Ignored,
    Malformed,
    Press,
    Release,
    Status,
    action_gesture,
    int_of,
    is_release,
    make_key,
    object_of,
    percent_of,
    split_address,
    stamp_of,
    text_of,
    word_of,
)

BATTERY_SENSORS = frozenset({"battery", "battery_level"})
SIGNAL_SENSORS = frozenset({"wifi_signal", "wifi_signal_db", "wifi_signal_dbm", "rssi"})
_ENTITY = re.compile(r"(?P<base>.+)/(?P<kind>binary_sensor|event|sensor)/(?P<id>[^/]+)/state")
_STATES = {"on": True, "off": False}
_ONLINE = {"online": True, "offline": False}


class ESPHome(Codec):
    family = "esphome"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._on: dict[str, bool] = {}

    def check_address(self, address: str | None) -> str | None:
        problem = super().check_address(address)
        if problem or address is None or split_address(address)[1] is None:
            return problem or 'write the node and the entity, e.g. "resepsjon-panikk#panic_button"'
        return None

    def subscriptions(self, address: str) -> list[str]:
        base, entity = split_address(address)
        return [
            f"{base}/binary_sensor/{entity}/state",
            f"{base}/event/{entity}/state",
            f"{base}/status",
            f"{base}/sensor/+/state",
        ]

    def match(self, topic: str) -> str | None:
        if topic.endswith("/status"):
            return topic[: -len("/status")]
        found = _ENTITY.fullmatch(topic)
        return found.group("base") if found else None

    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        base, entity = split_address(address)
        if topic == f"{base}/status":
            return [Status(online=word_of(payload, self.max_bytes, _ONLINE))]
        found = _ENTITY.fullmatch(topic)
        if found is None or found.group("base") != base:
            return [Ignored("unknown_topic", topic)]
        kind, name = found.group("kind"), found.group("id")
        if kind == "sensor":
            return [_sensor(name, text_of(payload, self.max_bytes))]
        if name != entity:
            return [Ignored("other_entity", name)]
        if kind == "event":
            return self._event(address, name, payload, retained, received_at)
        on = word_of(payload, self.max_bytes, _STATES)
        before = self._on.get(address)
        self._on[address] = on
        if retained:
            return [Ignored("retained_on" if on else "retained", "state replayed by the broker")]
        if not on:
            return [Release("OFF")] if before else [Ignored("off")]
        if before:
            return [Ignored("still_on", "ON repeated (reconnect, held or latched button)")]
        return [Press("ON", "single", make_key("esph", name, stamp_of(received_at)))]

    def _event(
        self, address: str, name: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        event_type = object_of(payload, self.max_bytes).get("event_type")
        if not isinstance(event_type, str) or not event_type:
            raise Malformed("invalid", "an event needs a non-empty event_type")
        if retained:
            return [Ignored("retained", f"event {event_type!r} replayed by the broker")]
        if is_release(event_type):
            return [Release(event_type)]
        key = self.window.key(address, event_type, received_at, "esph")
        return [Press(event_type, action_gesture(event_type), key)]


def _sensor(name: str, text: str) -> DeviceSignal:
    if name in BATTERY_SENSORS and (battery := percent_of(text)) is not None:
        return Status(battery=battery)
    if name in SIGNAL_SENSORS and (rssi := int_of(text)) is not None:
        return Status(rssi=rssi)
    return Ignored("other_sensor", name)
