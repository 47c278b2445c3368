"""A virtual native button: publishes trigger events and status exactly as a device would.

Plain blocking functions (paho-mqtt), so a CLI command or a test can call them directly; each call
connects, publishes at QoS 1, waits for the broker's PUBACK and disconnects.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.ingest import BrokerAddress
from devices.native import EventName, GestureName, Status, TriggerEvent
from devices.topics import status_topic, trigger_topic

_seq_lock = threading.Lock()
_last_seq = 0


def next_seq() -> int:
    """A millisecond timestamp, bumped when needed so it always increases within this process."""
    global _last_seq
    with _seq_lock:
        _last_seq = max(time.time_ns() // 1_000_000, _last_seq + 1)
        return _last_seq


def press(
    broker_url: str,
    device_id: str,
    event: EventName = "press",
    gesture: GestureName = "single",
    seq: int | None = None,
    *,
    battery: int | None = None,
    timeout_s: float = 5.0,
) -> TriggerEvent:
    """Publish one trigger event for `device_id` and return what was sent."""
    trigger = TriggerEvent(
        event=event,
        seq=next_seq() if seq is None else seq,
        gesture=gesture,
        ts=datetime.now(UTC),
        battery=battery,
    )
    payload = trigger.model_dump_json(exclude_none=True).encode()
    publish(broker_url, trigger_topic(device_id), payload, timeout_s=timeout_s)
    return trigger


def publish_status(
    broker_url: str,
    device_id: str,
    online: bool = True,
    *,
    battery: int | None = None,
    rssi: int | None = None,
    firmware: str | None = None,
    timeout_s: float = 5.0,
) -> None:
    """Publish the device's retained status, as its firmware does after connecting."""
    status = Status(online=online, battery=battery, rssi=rssi, firmware=firmware)
    payload = status.model_dump_json(exclude_none=True).encode()
    publish(broker_url, status_topic(device_id), payload, retain=True, timeout_s=timeout_s)


def publish(
    broker_url: str, topic: str, payload: bytes, *, retain: bool = False, timeout_s: float = 5.0
) -> None:
    """Connect, publish at QoS 1, wait for the PUBACK, disconnect; TimeoutError or
    ConnectionError when the broker does not take it."""
    address = BrokerAddress.parse(broker_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{uuid.uuid4().hex[:12]}")
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    client.connect(address.host, address.port, keepalive=30)
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise TimeoutError(f"no PUBACK from {address} within {timeout_s} s for {topic}")
    finally:
        client.disconnect()
        client.loop_stop()
