"""Feedback to devices (`rollekort/v1/feedback/{device_id}`), sent in the background so it never
holds up an alarm: `send()` only queues; one task keeps a connection, publishes at QoS 1 and
reconnects with backoff. A message that cannot go out within `max_age_s` is dropped and logged.
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

import aiomqtt

from app.adapters.mqtt.ingest import BrokerAddress
from devices.topics import feedback_topic

log = logging.getLogger(__name__)


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
        publish_timeout_s: float = 5.0,
        reconnect_max_s: float = 30.0,
    ) -> None:
        self._address = BrokerAddress.parse(url)
        self._client_id = client_id or f"rollekort-feedback-{uuid.uuid4().hex[:12]}"
        self._queue: asyncio.Queue[_Outgoing] = asyncio.Queue(max_queue)
        self._max_age_s = max_age_s
        self._publish_timeout_s = publish_timeout_s
        self._reconnect_max_s = reconnect_max_s
        self._retry: _Outgoing | None = None
        self._connected = False
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mqtt-feedback-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connected = False

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

    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._session()
            except* aiomqtt.MqttError as group:
                log.warning("feedback publisher: %s: %s", self._address, group.exceptions[0])
            except* Exception as group:  # keep the task alive whatever happens
                log.error("feedback publisher failed", exc_info=group)
            if self._connected:
                delay = 1.0  # it was up: start the backoff again
            self._connected = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._reconnect_max_s)

    async def _session(self) -> None:
        async with aiomqtt.Client(
            self._address.host,
            self._address.port,
            username=self._address.username,
            password=self._address.password,
            identifier=self._client_id,
            timeout=self._publish_timeout_s,
        ) as client:
            self._connected = True
            log.info("feedback publisher connected to %s", self._address)
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(_until_disconnected(client))
                tasks.create_task(self._publish_forever(client))

    async def _publish_forever(self, client: aiomqtt.Client) -> None:
        while True:
            await self._publish_next(client)

    async def _publish_next(self, client: aiomqtt.Client) -> None:
        item = self._retry or await self._queue.get()
        self._retry = item
        if time.monotonic() - item.queued_at > self._max_age_s:
            log.warning("dropped stale feedback on %s", item.topic)
        else:
            await client.publish(item.topic, item.payload, qos=1, retain=False)
        self._retry = None


async def _until_disconnected(client: aiomqtt.Client) -> None:
    """Raises MqttError when the connection drops (nothing is subscribed, so nothing arrives)."""
    async for _ in client.messages:
        pass


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
