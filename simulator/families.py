"""Virtual buttons of other makers: each publishes one press as its family really does.

Why: a tester should be able to fill an office with mixed devices and see each press raise one
alarm, quirks included. The shapes come from the recorded cases in tests/fixtures/devices/*.yaml
(docs/devices.md): Zigbee2MQTT's clearing `{"action": ""}` and the same press on `/action`;
Tasmota's `RESULT` (or a legacy ButtonTopic `POWER TOGGLE`) and its retained LWT; Shelly Gen1's
repeated `event_cnt`; Shelly Gen2's `btn_down`/`btn_up` around the push and a redelivered
notification; ESPHome's retained state (ON, then OFF) and retained `status`.

Blocking (paho-mqtt, via `simulator.button.publish`): call from a thread in async code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from devices.families.base import split_address
from devices.families.shelly import GEN1_PREFIX
from devices.families.tasmota import LEGACY
from simulator.button import publish

Z2M_BASE = "zigbee2mqtt"


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def z2m_press(url: str, friendly: str, action: str = "emergency") -> list[str]:
    """A Zigbee2MQTT button: JSON state with the action, the clearing message the Home Assistant
    integration sends, and the same action on `/action`. `friendly` is the device's topic
    (`zigbee2mqtt/Resepsjon SOS`) or a bare friendly name under the default base topic."""
    topic = friendly if "/" in friendly else f"{Z2M_BASE}/{friendly}"
    sent = [
        (f"{topic}/availability", _json({"state": "online"}), True),
        (topic, _json({"action": action, "battery": 97, "linkquality": 120}), False),
        (topic, _json({"action": "", "battery": 97, "linkquality": 120}), False),
        (f"{topic}/action", action.encode(), False),
    ]
    return _send(url, sent)


def tasmota_press(url: str, topic: str, legacy: bool = False, action: str = "SINGLE") -> list[str]:
    """A Tasmota button. Current firmware (`SetOption73 1`): `stat/<Topic>/RESULT
    {"Button<n>":{"Action":"SINGLE"}}` with its retained LWT. `legacy`: a ButtonTopic press,
    `cmnd/<ButtonTopic>/POWER<n> TOGGLE` (`address: cmnd/<ButtonTopic>`)."""
    base, selector = split_address(topic)
    button = selector or "1"
    if legacy or base.startswith(LEGACY):
        name = base.removeprefix(LEGACY)
        power = "POWER" if button == "1" else f"POWER{button}"
        word = "HOLD" if action == "HOLD" else "TOGGLE"
        return _send(url, [(f"cmnd/{name}/{power}", word.encode(), False)])
    sent = [
        (f"tele/{base}/LWT", b"Online", True),
        (f"stat/{base}/RESULT", _json({f"Button{button}": {"Action": action}}), False),
    ]
    if action == "HOLD":
        sent.append((f"stat/{base}/RESULT", _json({f"Button{button}": {"Action": "CLEAR"}}), False))
    return _send(url, sent)


def shelly_gen1_press(url: str, id: str, cnt: int, event: str = "S") -> list[str]:
    """A Shelly Gen1 button (Button1, i3): `input_event/<n>` with `event_cnt`, published twice
    as the Button1 does, after its retained `online`. `id` is `shellies/<id>[#input]` or `<id>`."""
    base, selector = split_address(id)
    base = base if base.startswith(GEN1_PREFIX) else GEN1_PREFIX + base
    press = (f"{base}/input_event/{selector or '0'}", _json({"event": event, "event_cnt": cnt}))
    return _send(url, [(f"{base}/online", b"true", True), (*press, False), (*press, False)])


def shelly_gen2_press(url: str, prefix: str, event: str = "single_push") -> list[str]:
    """A Shelly Gen2+ input (Plus i4, Plus 2PM): NotifyEvent `btn_down`, `btn_up`, then the
    gesture, and the gesture's notification once more (a redelivery: same device time)."""
    base, selector = split_address(prefix)
    n = int(selector) if selector and selector.isdigit() else 0
    now = round(time.time(), 2)

    def notify(name: str, ts: float) -> bytes:
        params = {
            "ts": ts,
            "events": [{"component": f"input:{n}", "id": n, "event": name, "ts": ts}],
        }
        message = {"src": base, "dst": f"{base}/events", "method": "NotifyEvent", "params": params}
        return _json(message)

    topic = f"{base}/events/rpc"
    sent = [
        (f"{base}/online", b"true", True),
        (topic, notify("btn_down", now), False),
        (topic, notify("btn_up", round(now + 0.13, 2)), False),
        (topic, notify(event, round(now + 0.5, 2)), False),
        (topic, notify(event, round(now + 0.5, 2)), False),
    ]
    return _send(url, sent)


def esphome_press(url: str, node: str, sensor: str) -> list[str]:
    """An ESPHome binary sensor: retained `status` online, then the state ON and OFF, retained
    as ESPHome publishes states by default. `node` is the topic prefix (`resepsjon-panikk`)."""
    base = split_address(node)[0]
    state = f"{base}/binary_sensor/{sensor}/state"
    return _send(
        url, [(f"{base}/status", b"online", True), (state, b"ON", True), (state, b"OFF", True)]
    )


def _send(url: str, messages: list[tuple[str, bytes, bool]]) -> list[str]:
    """Publish in order (each waits for its PUBACK); the topics, for the caller to print."""
    for topic, payload, retain in messages:
        publish(url, topic, payload, retain=retain)
    return [topic for topic, _, _ in messages]


PRESSERS: dict[str, Callable[[str, str], list[str]]] = {
    "zigbee2mqtt": lambda url, address: z2m_press(url, address),
    "tasmota": lambda url, address: tasmota_press(url, address),
    "shelly": lambda url, address: (
        shelly_gen1_press(url, address, int(time.time()) % 100_000)
        if address.startswith(GEN1_PREFIX)
        else shelly_gen2_press(url, address)
    ),
    "esphome": lambda url, address: esphome_press(
        url, address, split_address(address)[1] or "panic_button"
    ),
}
"""One press per family, from an office file's `family` and `address` (`rollekort sim family`)."""
