"""What `rollekort bench scale` leaves on the operator's broker: nothing that hears presses.

Each service it starts has a persistent session (a new client id each start); the run ends it,
so the broker does not queue every later press for a week for a service that never returns."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.url import BrokerAddress
from bench.scale_procs import end_session
from tests.conftest import require_mosquitto


class _Session:
    """A persistent subscriber like the service's intake: connects, says whether the broker
    still had its session, and collects what it is sent."""

    def __init__(self, url: str, client_id: str) -> None:
        self.address = BrokerAddress.parse(url)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self.ready = threading.Event()
        self.present: bool | None = None
        self.received: list[bytes] = []
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, message: self.received.append(message.payload)

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        self.present = bool(flags.session_present)
        self.ready.set()

    def open(self, topic: str | None = None) -> None:
        self.client.connect(self.address.host, self.address.port)
        self.client.loop_start()
        assert self.ready.wait(10)
        if topic is not None:
            subscribed = threading.Event()
            self.client.on_subscribe = lambda *_: subscribed.set()
            self.client.subscribe(topic, qos=1)
            assert subscribed.wait(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _publish(url: str, topic: str, payload: bytes) -> None:
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.connect(address.host, address.port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_an_ended_session_is_gone_and_a_later_press_is_queued_for_nobody() -> None:
    url = require_mosquitto()
    client_id, topic = f"rollekort-scale-{uuid.uuid4().hex[:8]}", f"hygiene/{uuid.uuid4().hex}"
    service = _Session(url, client_id)
    service.open(topic)
    service.close()  # the service stopped: its session stays on the broker
    _publish(url, topic, b"queued while away")
    back = _Session(url, client_id)
    back.open()
    back.close()
    assert back.present, "the broker kept the stopped service's session"  # what end_session ends

    assert end_session(url, client_id)
    _publish(url, topic, b"a press after the run")
    again = _Session(url, client_id)
    again.open()
    try:
        assert again.present is False
        assert again.received == []
    finally:
        again.close()
