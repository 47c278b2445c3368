"""Zigbee2MQTT: SOS, emergency and multi-gesture buttons behind a Zigbee2MQTT bridge.

The address is the device's state topic, `<base_topic>/<friendly_name>` (for example
`zigbee2mqtt/Resepsjon SOS`); the base topic is configurable and friendly names may contain `/`.

Read, and why:
- `<address>`: the JSON state. `action` (`click` on old Xiaomi converters) is a press; `""` or
  null follows every press when the Home Assistant integration is on ("why is the action property
  always empty", Z2M FAQ) and is ignored. `sos` / `alarm_1` (IAS zone buttons) are states that
  `cache_state` repeats in every later report, so only a change to true is a press.
  `battery` (a number, or "100.00" from old converters) and `tamper` are status.
- `<address>/action`: the same action as a plain word (Home Assistant device triggers); the
  same press as the JSON message, so it gets the same key.
- `<address>/availability`: `{"state":"online"}` since Z2M 1.24, plain `online` before.

There is no counter: the same action within the dedupe window of its first sighting is one press
(`PressWindow`); `last_seen`, when Z2M sends it, is the device time and makes a redelivered JSON
message keep its key across a restart. A retained message (the device option `retain: true`)
never raises an alarm.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
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
    bool_of,
    check_base,
    is_release,
    json_of,
    object_of,
    percent_of,
    split_address,
    stamp_of,
    text_of,
)

ACTION_KEYS = ("action", "click")
STATE_ALARMS = ("sos", "alarm_1")
_SUFFIXES = ("/availability", "/action")
_ACTION = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # converters name actions like 1_single, on_press


class Zigbee2Mqtt(Codec):
    family = "zigbee2mqtt"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._states: dict[tuple[str, str], bool] = {}

    def check_address(self, address: str | None) -> str | None:
        if address is None:
            return 'a zigbee2mqtt device needs its topic, e.g. "zigbee2mqtt/Resepsjon SOS"'
        base, selector = split_address(address)
        if selector is not None:
            return "a zigbee2mqtt address has no #part: map actions with `actions:` instead"
        if "/" not in base:
            return f'write the base topic and the friendly name, e.g. "zigbee2mqtt/{base}"'
        return check_base(base)

    def subscriptions(self, address: str) -> list[str]:
        return [address, *(address + suffix for suffix in _SUFFIXES)]

    def match(self, topic: str) -> str | None:
        for suffix in _SUFFIXES:
            if topic.endswith(suffix):
                return topic[: -len(suffix)]
        return topic

    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        if topic == address + "/availability":
            return [Status(online=_availability(payload, self.max_bytes))]
        if topic == address + "/action":
            action = text_of(payload, self.max_bytes)
            if action in ("", "null"):
                return [Ignored("empty_action")]
            return self._action(address, action, retained, received_at, None)
        if topic != address:
            return [Ignored("unknown_topic", topic)]
        obj = object_of(payload, self.max_bytes)
        device_ts = _last_seen(obj.get("last_seen"))
        signals: list[DeviceSignal] = []
        for name in ACTION_KEYS:
            if name not in obj:
                continue
            value = obj[name]
            if isinstance(value, str) and value:
                signals += self._action(address, value, retained, received_at, device_ts)
            else:  # "" after every press, null in Zigbee2MQTT 2 reports without an action
                signals.append(Ignored("empty_action"))
        for name in STATE_ALARMS:
            active = bool_of(obj.get(name))
            if active is not None:
                signals += self._state(address, name, active, retained, received_at, device_ts)
        status = Status(battery=percent_of(obj.get("battery")), tamper=bool_of(obj.get("tamper")))
        if not status.empty:
            signals.append(status)
        return signals or [Ignored("no_action")]

    def _action(
        self,
        address: str,
        action: str,
        retained: bool,
        received_at: datetime,
        device_ts: datetime | None,
    ) -> list[DeviceSignal]:
        if _ACTION.fullmatch(action) is None:
            return [Ignored("invalid", f"not an action word: {action[:40]!r}")]
        if retained:
            return [Ignored("retained", f"action {action!r} replayed by the broker")]
        if is_release(action):
            return [Release(action)]
        stamp = stamp_of(device_ts) if device_ts else ""
        key = self.window.key(address, action, received_at, "z2m", stamp)
        return [Press(action, action_gesture(action), key, device_ts)]

    def _state(
        self,
        address: str,
        name: str,
        active: bool,
        retained: bool,
        received_at: datetime,
        device_ts: datetime | None,
    ) -> list[DeviceSignal]:
        before = self._states.get((address, name))
        self._states[(address, name)] = active
        if retained:
            return [Ignored("retained", f"{name} state replayed by the broker")]
        if not active:
            return [Release(name)] if before else []
        if before:
            return [Ignored("still_active", f"{name} repeated by the cached state")]
        key = self.window.key(address, name, received_at, "z2m")
        return [Press(name, "hold", key, device_ts)]


def _availability(payload: bytes, max_bytes: int) -> bool:
    text = text_of(payload, max_bytes)
    state: object = text
    if text.startswith("{"):
        obj = json_of(payload, max_bytes)
        state = obj.get("state") if isinstance(obj, dict) else None
    if not isinstance(state, str) or state.lower() not in ("online", "offline"):
        raise Malformed("invalid", f"availability is not online/offline: {text[:40]!r}")
    return state.lower() == "online"


def _last_seen(value: object) -> datetime | None:
    """`last_seen` as ISO 8601 (with or without milliseconds, UTC or local) or epoch ms."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 10**11:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None
