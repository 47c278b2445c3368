"""Discreet feedback to a family device, in the command format its family understands.

Why: a wearer should feel or see that the alarm got through, without anyone else noticing. Only a
device whose office entry says it can (`feedback:` in the device entry) gets a command, since a
command to the wrong device may switch a relay or sound a loud buzzer. Native devices get the
protocol's own `rollekort/v1/feedback/<id>` message instead; ESPHome has no standard command.

Pure: no I/O. The publisher sends what `feedback_commands` returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.families.base import split_address
from devices.families.shelly import GEN1_PREFIX
from devices.families.tasmota import LEGACY
from devices.families.tasmota_topic import FullTopic

DEFAULT_STATES: tuple[str, ...] = ("received", "accepted")
"""A short buzz when the alarm is recorded and when help is on its way."""
RPC_SOURCE = "rollekort/feedback"


@dataclass(frozen=True)
class FeedbackCommand:
    """An office entry's `feedback:`: what to append to the family's command base, what to send,
    and on which feedback states."""

    topic_suffix: str | None = None
    payload: Mapping[str, Any] | str | None = None
    states: Sequence[str] = field(default=DEFAULT_STATES)


def supports_feedback(family: str) -> bool:
    """Whether a family has a command format here (the validator refuses `feedback:` otherwise)."""
    return family in ("zigbee2mqtt", "tasmota", "shelly")


def command_base(family: str, address: str, full_topic: str | None = None) -> str | None:
    """The topic commands for a device start with, or None when the family takes none
    (`full_topic`: a Tasmota device's FullTopic, None for the default)."""
    base = split_address(address)[0]
    if family == "zigbee2mqtt":
        return base
    if family == "tasmota":
        return None if base.startswith(LEGACY) else FullTopic.parse(full_topic).base("cmnd", base)
    if family == "shelly":
        return base if base.startswith(GEN1_PREFIX) else f"{base}/rpc"
    return None


def command_topic(
    family: str, address: str, command: FeedbackCommand, full_topic: str | None = None
) -> str | None:
    """The one topic a device's feedback command goes to (for the ACL), or None."""
    base = command_base(family, address, full_topic)
    if base is None:
        return None
    if family == "zigbee2mqtt":
        return base + (command.topic_suffix or "/set")
    if family == "tasmota":
        return base + (command.topic_suffix or "/Buzzer")
    if base.startswith(GEN1_PREFIX):
        return base + command.topic_suffix if command.topic_suffix else None
    return base  # Gen2 RPC: one topic, the method says what to do


def feedback_commands(
    family: str,
    address: str,
    state: str,
    command: FeedbackCommand | None,
    full_topic: str | None = None,
) -> list[tuple[str, bytes]]:
    """`(topic, payload)` to publish for one feedback state; empty when the device has no
    `feedback:` entry, the family takes no command, or the state is not one it wants."""
    if command is None or state not in command.states:
        return []
    topic = command_topic(family, address, command, full_topic)
    if topic is None:
        return []
    if family == "zigbee2mqtt":
        return [(topic, _encode(command.payload))] if command.payload is not None else []
    if family == "tasmota":
        return [(topic, _encode("1" if command.payload is None else command.payload))]
    if topic.endswith("/rpc"):
        return _rpc(topic, command.payload)
    return [(topic, _encode(command.payload))] if command.payload is not None else []


def _rpc(topic: str, payload: Mapping[str, Any] | str | None) -> list[tuple[str, bytes]]:
    """A Shelly Gen2 RPC request: `{id, src, method, params}` (src is where the reply goes)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("method"), str):
        return []
    request = {"id": 1, "src": RPC_SOURCE, "method": payload["method"]}
    if "params" in payload:
        request["params"] = payload["params"]
    return [(topic, _encode(request))]


def _encode(payload: Mapping[str, Any] | str | None) -> bytes:
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
