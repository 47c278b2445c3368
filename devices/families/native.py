"""Native devices (protocol v1, section 1) behind the same interface as the other families.

This adapts `devices.native` and `devices.topics` without changing their meaning: a press keeps
its `seq`, and its key is the device's `ts` (ISO 8601, or "" without one), exactly what the intake
puts in `PressKey(device_id, seq, device_ts)` today, so keys recorded before stay valid. The
address is the device id (`address:` may be left out for a native device). A retained trigger is
handled like a live one, de-duplicated by its `seq`, as the intake always did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devices import native, topics
from devices.families.base import (
    ButtonTest,
    Cancel,
    Codec,
    DeviceSignal,
    Ignored,
    Press,
    Status,
)


class Native(Codec):
    family = "native"

    def __init__(self, **options: Any) -> None:
        options.setdefault("max_bytes", native.MAX_PAYLOAD_BYTES)
        super().__init__(**options)

    def check_address(self, address: str | None) -> str | None:
        if address is None or topics.is_device_id(address):
            return None
        return "a native address is the device id: [A-Za-z0-9_.-]{1,64}"

    def subscriptions(self, address: str) -> list[str]:
        return [topics.trigger_topic(address), topics.status_topic(address)]

    def match(self, topic: str) -> str | None:
        parsed = topics.parse_topic(topic)
        return parsed[1] if parsed else None

    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        parsed = topics.parse_topic(topic)
        if parsed is None or parsed[1] != address:
            return [Ignored("unknown_topic", topic)]
        try:
            if parsed[0] == topics.STATUS:
                status = native.decode_status(payload, self.max_bytes)
                return [Status(online=status.online, battery=status.battery, rssi=status.rssi)]
            if parsed[0] != topics.TRIGGER:
                return [Ignored("not_for_the_service", str(parsed[0]))]
            trigger, dropped = native.decode_press(payload, self.max_bytes)
        except native.DecodeError as err:
            return [Ignored(err.reason, err.detail)]
        key = trigger.ts.isoformat() if trigger.ts else ""
        if trigger.event == "cancel":
            return [Cancel(key, trigger.seq)]
        if trigger.event == "test":
            return [ButtonTest(key, trigger.seq)]
        return [
            Press(
                "press",
                trigger.gesture,
                key,
                device_ts=trigger.ts,
                seq=trigger.seq,
                battery=trigger.battery,
                repaired=dropped,
            )
        ]
