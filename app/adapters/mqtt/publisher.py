"""Feedback to devices (`rollekort/v1/feedback/{device_id}`), sent in the background so it never
holds up an alarm: `send()` only queues; one task hands each message to paho at QoS 1. paho's
network loop runs in its own thread, as the ingest's does (see `app.adapters.mqtt.ingest`): it
keeps the connection alive and reconnects with backoff however busy the event loop is. A message
that cannot go out within `max_age_s` is dropped and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from app.adapters.mqtt.url import BrokerAddress
from devices.topics import feedback_topic

log = logging.getLogger(__name__)

KEEPALIVE_S = 30


@dataclass(frozen=True)
class _Outgoing:
    topic: str
    payload: bytes
    queued_at: float


class MqttPublisher:
    """Implements `FeedbackPort`. `start()` returns at once; the connection comes up in the
    background (and comes back after a failure), so a broker outage costs feedback, not alarms."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        max_queue: int = 1000,
        max_age_s: float = 60.0,
        reconnect_max_s: int = 30,
        keepalive_s: int = KEEPALIVE_S,
    ) -> None:
        self._address = BrokerAddress.parse(url)
        self._client_id = client_id or f"rollekort-feedback-{uuid.uuid4().hex[:12]}"
        self._queue: asyncio.Queue[_Outgoing] = asyncio.Queue(max_queue)
        self._max_age_s = max_age_s
        self._keepalive_s = keepalive_s
        self._up = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._unreachable_logged = False
        self._stopping = False
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._client_id)
        if self._address.username is not None:
            self._client.username_pw_set(self._address.username, self._address.password)
        self._client.reconnect_delay_set(1, max(1, reconnect_max_s))
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self._address.host, self._address.port, self._keepalive_s)
        self._client.loop_start()
        self._task = asyncio.create_task(self._publish_forever(), name="mqtt-feedback-publisher")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._stopping = True
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._up.clear()

    async def send(self, device_id: str, payload: dict[str, Any]) -> None:
        """Queue feedback for one device; never raises (problems are logged)."""
        try:
            item = _Outgoing(feedback_topic(device_id), _encode(payload), time.monotonic())
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("feedback queue full; dropped feedback for %s", device_id)
        except (ValueError, TypeError) as exc:
            log.error("cannot send feedback to %r: %s", device_id, exc)

    async def send_command(self, topic: str, payload: bytes) -> None:
        """Queue a command in a device family's own format (a buzz or blink); never raises."""
        try:
            self._queue.put_nowait(_Outgoing(topic, payload, time.monotonic()))
        except asyncio.QueueFull:
            log.warning("feedback queue full; dropped a command on %s", topic)

    async def _publish_forever(self) -> None:
        """While disconnected, messages wait here (and grow stale); once handed to paho, a QoS 1
        message is paho's to resend after a reconnect."""
        while True:
            item = await self._queue.get()
            await self._up.wait()
            if time.monotonic() - item.queued_at > self._max_age_s:
                log.warning("dropped stale feedback on %s", item.topic)
                continue
            try:
                self._client.publish(item.topic, item.payload, qos=1, retain=False)
            except (ValueError, OSError) as exc:
                log.error("feedback on %s not sent: %s", item.topic, exc)

    # -- paho callbacks, in paho's thread -------------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: object,
    ) -> None:
        if reason_code.is_failure:
            log.warning("feedback publisher: %s refused: %s", self._address, reason_code)
            return
        self._unreachable_logged = False
        log.info("feedback publisher connected to %s", self._address)
        self._to_loop(self._up.set)

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        level = logging.DEBUG if self._unreachable_logged else logging.WARNING
        self._unreachable_logged = True
        log.log(level, "feedback publisher: %s unreachable; retrying", self._address)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: object,
    ) -> None:
        level = logging.INFO if self._stopping else logging.WARNING
        log.log(level, "feedback publisher disconnected from %s: %s", self._address, reason_code)
        self._to_loop(self._up.clear)

    def _to_loop(self, action: Any) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                self._loop.call_soon_threadsafe(action)


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
