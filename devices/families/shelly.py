"""Shelly: Gen1 (Button1, i3, Shelly 1 with a momentary button) and Gen2+ (Plus/Pro i4, ...).

The address is the device's topic base, optionally `#<n>` for one input:
- Gen1, `shellies/<id>` (e.g. `shellies/shellybutton1-A4CF12F45301#0`):
  `<base>/input_event/<n>` `{"event":"S","event_cnt":12}` (S, SS, SSS, L; SL and LS are known to
  the codec but have no default gesture; `""` is a toggle-mode or over-long hold, not a press),
  `<base>/online` `true`/`false` (retained last will), `<base>/sensor/battery` (percent).
  `event_cnt` counts events per input, so it is the key: the Button1 publishes the same event
  more than once, and a replay carries the old counter. A counter that goes backwards means the
  device restarted; presses after that get keys of their own.
- Gen2+, the MQTT topic prefix (default the device id, e.g. `shellyplusi4-083af2013a00`):
  `<base>/events/rpc` `NotifyEvent` with `params.events`, a list (several events in one message):
  `single_push`, `double_push`, `triple_push`, `long_push` are presses keyed by the device's own
  timestamp (`ts`), so a redelivery keeps its key; `btn_down` precedes the gesture and is ignored,
  `btn_up` is a release. `NotifyStatus` carries `devicepower:0` battery and `wifi` rssi.
  `<base>/online` as for Gen1.

A retained message never raises an alarm (Gen1 `mqtt_retain` replays the last event on every
subscribe). A Gen2 device without a clock falls back to the dedupe window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devices.families.base import (
    Codec,
    DeviceSignal,
    Gesture,
    Ignored,
    Malformed,
    Press,
    Release,
    Status,
    action_gesture,
    epoch_of,
    int_of,
    make_key,
    object_of,
    percent_of,
    split_address,
    stamp_of,
    text_of,
    word_of,
)

GEN1_PREFIX = "shellies/"
GEN1_EVENTS: dict[str, Gesture | None] = {
    "S": "single",
    "SS": "double",
    "SSS": "triple",
    "L": "hold",
    "SL": None,
    "LS": None,
}
GEN2_EVENTS: dict[str, Gesture] = {
    "single_push": "single",
    "double_push": "double",
    "triple_push": "triple",
    "long_push": "hold",
}
_ONLINE = {"true": True, "false": False}
_SUFFIXES = ("/online", "/sensor/battery", "/events/rpc")


class Shelly(Codec):
    family = "shelly"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._counters: dict[tuple[str, str], tuple[int, str]] = {}  # -> (last count, epoch)

    def subscriptions(self, address: str) -> list[str]:
        base = split_address(address)[0]
        if base.startswith(GEN1_PREFIX):
            return [f"{base}/input_event/+", f"{base}/online", f"{base}/sensor/battery"]
        return [f"{base}/events/rpc", f"{base}/online"]

    def match(self, topic: str) -> str | None:
        for suffix in _SUFFIXES:
            if topic.endswith(suffix):
                return topic[: -len(suffix)]
        head, _, last = topic.rpartition("/")
        if head.endswith("/input_event") and last.isdigit():
            return head[: -len("/input_event")]
        return None

    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        base, selector = split_address(address)
        if not topic.startswith(base + "/"):
            return [Ignored("unknown_topic", topic)]
        suffix = topic[len(base) :]
        if suffix == "/online":
            return [Status(online=word_of(payload, self.max_bytes, _ONLINE))]
        if suffix == "/sensor/battery":
            battery = percent_of(text_of(payload, self.max_bytes))
            return [Status(battery=battery)] if battery is not None else [Ignored("invalid")]
        if suffix == "/events/rpc":
            return self._rpc(address, selector, payload, retained, received_at)
        if suffix.startswith("/input_event/"):
            channel = suffix.rpartition("/")[2]
            if selector is not None and channel != selector:
                return [Ignored("other_input", channel)]
            return self._gen1(address, channel, payload, retained, received_at)
        return [Ignored("unknown_topic", topic)]

    def _gen1(
        self, address: str, channel: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        obj = object_of(payload, self.max_bytes)
        event, count = obj.get("event"), obj.get("event_cnt")
        if not isinstance(event, str) or isinstance(count, bool) or not isinstance(count, int):
            raise Malformed("invalid", "input_event needs a string event and an integer event_cnt")
        if retained:
            return [Ignored("retained", f"event {event!r} #{count} replayed by the broker")]
        epoch = self._epoch(address, channel, count, received_at)
        if not event:
            return [Ignored("empty_event", "toggle mode or a hold past the long-push time")]
        key = make_key("sh1", channel, str(count), *((epoch,) if epoch else ()))
        return [Press(event, GEN1_EVENTS.get(event), key, seq=count)]

    def _epoch(self, address: str, channel: str, count: int, received_at: datetime) -> str:
        last = self._counters.get((address, channel))
        epoch = last[1] if last else ""
        if last is not None and count < last[0]:  # the counter started again: the device restarted
            epoch = stamp_of(received_at)
        self._counters[(address, channel)] = (count, epoch)
        return epoch

    def _rpc(
        self,
        address: str,
        selector: str | None,
        payload: bytes,
        retained: bool,
        received_at: datetime,
    ) -> list[DeviceSignal]:
        obj = object_of(payload, self.max_bytes)
        method, params = obj.get("method"), obj.get("params")
        if not isinstance(params, dict):
            return [Ignored("not_a_notification")]
        if method in ("NotifyStatus", "NotifyFullStatus"):
            status = _gen2_status(params)
            return [status] if not status.empty else [Ignored("status")]
        if method != "NotifyEvent":
            return [Ignored("not_a_notification", str(method)[:40])]
        events = params.get("events")
        if not isinstance(events, list):
            raise Malformed("invalid", "NotifyEvent without an events list")
        if retained:
            return [Ignored("retained", "NotifyEvent replayed by the broker")]
        signals: list[DeviceSignal] = []
        for event in events:
            if isinstance(event, dict):
                signals.append(self._event(address, selector, event, params, received_at))
        return signals or [Ignored("no_events")]

    def _event(
        self,
        address: str,
        selector: str | None,
        event: dict[str, Any],
        params: dict[str, Any],
        received_at: datetime,
    ) -> DeviceSignal:
        component, name = event.get("component"), event.get("event")
        if not isinstance(component, str) or not isinstance(name, str):
            return Ignored("invalid", "an event needs a component and an event name")
        if selector is not None and component not in (f"input:{selector}", selector):
            return Ignored("other_input", component)
        if name == "btn_down":
            return Ignored("btn_down", "the gesture event follows")
        if name == "btn_up":
            return Release(name)
        gesture = GEN2_EVENTS.get(name) or action_gesture(name)
        if gesture is None and not component.startswith("input:"):
            return Ignored("not_a_button_event", f"{component} {name}"[:60])
        raw_ts = event.get("ts", params.get("ts"))
        device_ts = epoch_of(raw_ts)
        if device_ts is not None and isinstance(raw_ts, int | float):
            key = make_key("sh2", component, name, f"{raw_ts:.2f}")
        else:
            key = self.window.key(address, f"{component}:{name}", received_at, "sh2")
        return Press(name, gesture, key, device_ts)


def _gen2_status(params: dict[str, Any]) -> Status:
    power, wifi = params.get("devicepower:0"), params.get("wifi")
    battery = power.get("battery") if isinstance(power, dict) else None
    return Status(
        battery=percent_of(battery.get("percent")) if isinstance(battery, dict) else None,
        rssi=int_of(wifi.get("rssi")) if isinstance(wifi, dict) else None,
    )
