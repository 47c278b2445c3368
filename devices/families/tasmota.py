"""Tasmota: buttons on ESP devices. Topics below are for the default FullTopic
`%prefix%/%topic%/`; a device entry's `full_topic:` names another (`%topic%/%prefix%/` publishes
`<topic>/stat/RESULT`), and every topic here follows it (devices/families/tasmota_topic.py).

Two kinds of address:
- `<topic>` or `<topic>#<n>` (button n only): buttons decoupled from the relays with
  `SetOption73 1`. Current firmware publishes `stat/<topic>/RESULT {"Button1":{"Action":"SINGLE"}}`
  (`stat/<topic>/BUTTON1` with `SetOption4 1`), and `CLEAR` when a HOLD is released (since 12.2);
  2020 firmware published `stat/<topic>/BUTTON1 {"ACTION":"SINGLE"}`, some versions
  `stat/<topic>/BUTTON1T {"TRIG":"SINGLE"}`. All are read, and the same press in two shapes or on
  two topics gets one key. `tele/<topic>/LWT` (`Online`/`Offline`, retained) is availability,
  `tele/<topic>/STATE` `Wifi.Signal` (dBm) the signal strength.
- `cmnd/<buttontopic>` or `cmnd/<buttontopic>#<n>`: firmware without SetOption73, with
  `ButtonTopic` set: a press publishes `cmnd/<buttontopic>/POWER TOGGLE` (`POWER<n>` for button
  n) and a hold `HOLD`. Anything that commands that topic looks like a press, so the button topic
  must be used by the button alone (never the device's own topic or a group topic).

There is no counter: the same button action within the dedupe window is one press. `CLEAR` is a
release, never a cancel. A retained message (`ButtonRetain 1`) never raises an alarm.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from devices.families.base import (
    Codec,
    DeviceSignal,
    Gesture,
    Ignored,
    Press,
    Release,
    Status,
    action_gesture,
    int_of,
    is_release,
    object_of,
    split_address,
    text_of,
    word_of,
)
from devices.families.tasmota_topic import DEFAULT, FullTopic

LEGACY = "cmnd/"
ACTIONS: dict[str, Gesture] = {
    "SINGLE": "single",
    "DOUBLE": "double",
    "TRIPLE": "triple",
    "QUAD": "triple",
    "PENTA": "triple",
    "HOLD": "hold",
    "TOGGLE": "single",  # legacy ButtonTopic: a single press
}
_BUTTON_TOPIC = re.compile(r"BUTTON(\d+)T?", re.IGNORECASE)
_BUTTON_KEY = re.compile(r"button(\d+)", re.IGNORECASE)
_POWER = re.compile(r"POWER(\d*)", re.IGNORECASE)


class Tasmota(Codec):
    family = "tasmota"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._layouts: dict[str, FullTopic] = {}  # address base -> its FullTopic, if not default

    def use_full_topic(self, address: str, full_topic: str | None) -> None:
        """The device at `address` publishes with this FullTopic (None: the default).
        ValueError when the FullTopic is not one Tasmota accepts."""
        base, layout = split_address(address)[0], FullTopic.parse(full_topic)
        if layout == DEFAULT:
            self._layouts.pop(base, None)
        else:
            self._layouts[base] = layout

    def layout(self, address: str) -> FullTopic:
        return self._layouts.get(split_address(address)[0], DEFAULT)

    def check_address(self, address: str | None) -> str | None:
        problem = super().check_address(address)
        if problem or address is None:
            return problem or 'a tasmota device needs its Topic, e.g. "tasmota_44D83C#1"'
        selector = split_address(address)[1]
        if selector is not None and not selector.isdigit():
            return "the part after # must be a button number, e.g. #1"
        return None

    def subscriptions(self, address: str) -> list[str]:
        base, layout = split_address(address)[0], self.layout(address)
        if base.startswith(LEGACY):
            return [layout.topic("cmnd", base.removeprefix(LEGACY), "+")]
        return [
            layout.topic("stat", base, "+"),
            layout.topic("tele", base, "LWT"),
            layout.topic("tele", base, "STATE"),
        ]

    def match(self, topic: str) -> str | None:
        """The base of a configured device whose FullTopic reads the topic this way; else the
        base by the default FullTopic (so an unknown device is still named in the logs)."""
        for layout in [*dict.fromkeys(self._layouts.values()), DEFAULT]:
            parts = layout.split(topic)
            if parts is None:
                continue
            prefix, device_topic, _ = parts
            base = LEGACY + device_topic if prefix == "cmnd" else device_topic
            if self._layouts.get(base, DEFAULT) == layout:
                return base
        return None

    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        base, selector = split_address(address)
        if self.match(topic) != base:
            return [Ignored("unknown_topic", topic)]
        wanted = int(selector) if selector else None
        parts = self.layout(address).split(topic)
        if parts is None:
            return [Ignored("unknown_topic", topic)]
        prefix, _, command = parts
        if prefix == "cmnd":
            return self._legacy(address, wanted, command, payload, retained, received_at)
        if prefix == "tele" and command == "LWT":
            return [Status(online=word_of(payload, self.max_bytes, _LWT))]
        if prefix == "tele" and command == "STATE":
            wifi = object_of(payload, self.max_bytes).get("Wifi")
            rssi = int_of(wifi.get("Signal")) if isinstance(wifi, dict) else None
            return [Status(rssi=rssi)] if rssi is not None else [Ignored("telemetry")]
        if command != "RESULT" and not _BUTTON_TOPIC.fullmatch(command):
            return [Ignored("not_a_button_topic", command)]
        presses = _button_actions(command, object_of(payload, self.max_bytes))
        if not presses:
            return [Ignored("no_button_action")]
        signals: list[DeviceSignal] = []
        for button, action in presses:
            if wanted is not None and button != wanted:
                signals.append(Ignored("other_button", f"Button{button}"))
            else:
                signals += self._press(address, button, action, retained, received_at)
        return signals

    def _legacy(
        self,
        address: str,
        wanted: int | None,
        command: str,
        payload: bytes,
        retained: bool,
        received_at: datetime,
    ) -> list[DeviceSignal]:
        power = _POWER.fullmatch(command)
        if power is None:
            return [Ignored("not_a_button_topic", command)]
        button = int(power.group(1) or 1)
        if wanted is not None and button != wanted:
            return [Ignored("other_button", f"POWER{button}")]
        word = text_of(payload, self.max_bytes).upper()
        if word not in ("TOGGLE", "HOLD"):
            return [Ignored("not_a_button_action", word[:20])]
        return self._press(address, button, word, retained, received_at)

    def _press(
        self, address: str, button: int, action: str, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        action = action.upper()
        if retained:
            return [Ignored("retained", f"Button{button} {action} replayed by the broker")]
        if is_release(action):
            return [Release(action)]
        gesture = ACTIONS.get(action) or action_gesture(action)
        key = self.window.key(address, f"{button}:{action}", received_at, "tas")
        return [Press(action, gesture, key)]


_LWT = {"online": True, "offline": False}


def _button_actions(command: str, obj: dict[str, Any]) -> list[tuple[int, str]]:
    """(button, action) pairs in any of the shapes Tasmota used."""
    found: list[tuple[int, str]] = []
    for key, value in obj.items():
        button = _BUTTON_KEY.fullmatch(key)
        if button is None:
            continue
        if isinstance(value, dict):
            value = next((v for k, v in value.items() if k.lower() == "action"), None)
        if (
            isinstance(value, str) and value
        ):  # {"Button1":{"Action":"SINGLE"}} or {"Button1":"SINGLE"}
            found.append((int(button.group(1)), value))
    topic_button = _BUTTON_TOPIC.fullmatch(command)
    if topic_button is not None and not found:  # BUTTON1 {"ACTION":"SINGLE"}, BUTTON1T {"TRIG":...}
        value = next((v for k, v in obj.items() if k.upper() in ("ACTION", "TRIG")), None)
        if isinstance(value, str) and value:
            found.append((int(topic_button.group(1)), value))
    return found
