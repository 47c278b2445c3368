"""At-least-once intake of device messages: the PUBACK goes out only after the handler succeeded.

paho-mqtt runs its network loop in its own thread with a persistent session and manual acks.
Each message is handed to an async handler on the service's event loop; when the handler returns,
the message is acknowledged; when it raises, it is not, and the connection is dropped on purpose so
the broker redelivers it after the reconnect (MQTT redelivers unacknowledged QoS 1 messages only on
a new connection). Messages of one topic (one device) are handled in arrival order, one at a time;
a handler slower than `handler_timeout_s` counts as failed: one stuck press cannot block a device.

Every connection has an epoch. An acknowledgement is sent only while the connection that delivered
the message is live (not lost, not being dropped): after a reconnect the broker resends the message
anyway, and a late PUBACK carrying an old packet id could acknowledge another message reusing it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from app.settings import Settings
from devices.topics import INGEST_FILTERS

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, bool], Awaitable[None]]
"""`(topic, payload, retained)`; raise only for transient failures (the message comes back)."""

MqttProtocol = Literal["3.1.1", "5"]
DEFAULT_PORT = 1883


@dataclass(frozen=True)
class BrokerAddress:
    """`mqtt://[user:pass@]host[:port]` taken apart; `str()` never shows the password."""

    host: str
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError(f"broker URL must look like mqtt://[user:pass@]host:port, not {url!r}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"broker URL must not have a path, query or fragment: {url!r}")
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORT,  # .port raises ValueError when out of range
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"mqtt://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class _Delivery:
    topic: str
    payload: bytes
    retain: bool
    mid: int
    qos: int
    epoch: int


class MqttIngest:
    """Subscribes to the device topics at QoS 1 and feeds a handler, acknowledging after it.

    One-shot: `start()` once, `stop()` once. `connected` is true while the client is connected
    and its subscription is acknowledged (use it for /readyz).
    """

    def __init__(
        self,
        url: str,
        handler: MessageHandler,
        *,
        client_id: str,
        protocol: MqttProtocol = "3.1.1",
        session_expiry_s: int = 7 * 24 * 3600,
        filters: Sequence[str] = INGEST_FILTERS,
        keepalive_s: int = 30,
        reconnect_min_s: int = 1,
        reconnect_max_s: int = 30,
        handler_timeout_s: float = 60.0,
    ) -> None:
        if not client_id:
            raise ValueError("a persistent session needs a fixed, non-empty client id")
        self._address = BrokerAddress.parse(url)
        self._handler = handler
        self._protocol: MqttProtocol = protocol
        self._session_expiry_s = session_expiry_s
        self._filters = tuple(filters)
        self._keepalive_s = keepalive_s
        self._backoff = (reconnect_min_s, reconnect_max_s)
        self._handler_timeout_s = handler_timeout_s
        self._lock = threading.Lock()  # guards _live against acks racing a reconnect
        self._epoch = 0  # numbers connections; set by the paho thread on connect
        self._live: int | None = None  # the epoch whose messages may still be acknowledged
        self._ready = False
        self._subscribe_mid: int | None = None
        self._accepting = False
        self._stopping = False
        self._failures = 0
        self._last_failure_at = -float("inf")
        self._delay_raised = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready_event: asyncio.Event | None = None
        self._pending: set[concurrent.futures.Future[None]] = set()
        self._tails: dict[str, asyncio.Task[Any]] = {}
        self._client = self._make_client(client_id)

    @classmethod
    def from_settings(
        cls, settings: Settings, handler: MessageHandler, protocol: MqttProtocol = "3.1.1"
    ) -> MqttIngest:
        return cls(
            settings.broker_url,
            handler,
            client_id=settings.mqtt_client_id,
            protocol=protocol,
            session_expiry_s=settings.mqtt_session_expiry_s,
        )

    @property
    def connected(self) -> bool:
        return self._ready

    @property
    def address(self) -> BrokerAddress:
        return self._address

    async def start(self, wait_s: float = 10.0) -> None:
        """Connect and subscribe; TimeoutError if not ready in time (it keeps retrying until
        `stop()`, so a service may start unready and become ready when the broker is back)."""
        self._loop = asyncio.get_running_loop()
        self._ready_event = asyncio.Event()
        self._accepting = True
        self._connect_async()
        self._client.loop_start()
        try:
            await asyncio.wait_for(self._ready_event.wait(), wait_s)
        except TimeoutError:
            raise TimeoutError(
                f"MQTT broker {self._address} not connected and subscribed within {wait_s} s"
            ) from None

    async def stop(self, drain_s: float = 5.0) -> None:
        """Stop taking messages, let running handlers finish (their acks still go out) for up to
        `drain_s` seconds, cancel the rest unacknowledged, then disconnect cleanly.
        The broker keeps the session, so unacknowledged messages come back on the next start."""
        self._accepting = False
        self._stopping = True
        await self._drain(drain_s)
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._ready = False

    # -- paho thread ---------------------------------------------------------------------------

    def _make_client(self, client_id: str) -> mqtt.Client:
        v5 = self._protocol == "5"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=None if v5 else False,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            manual_ack=True,
        )
        if self._address.username is not None:
            client.username_pw_set(self._address.username, self._address.password)
        client.reconnect_delay_set(*self._backoff)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _connect_async(self) -> None:
        host, port, keepalive = self._address.host, self._address.port, self._keepalive_s
        if self._protocol == "5":
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self._session_expiry_s
            self._client.connect_async(host, port, keepalive, clean_start=False, properties=props)
        else:
            self._client.connect_async(host, port, keepalive)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("MQTT broker %s refused the connection: %s", self._address, reason_code)
            return
        with self._lock:
            self._epoch += 1
            self._live = self._epoch
        log.info("MQTT connected to %s (session present: %s)", self._address, flags.session_present)
        _, mid = client.subscribe([(topic_filter, 1) for topic_filter in self._filters])
        self._subscribe_mid = mid

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        log.warning("MQTT broker %s unreachable; retrying", self._address)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._subscribe_mid:
            return
        if any(rc.is_failure for rc in reason_codes):
            log.error("MQTT broker %s refused subscriptions %s", self._address, reason_codes)
            return
        if any(rc.value < 1 for rc in reason_codes):
            log.warning("MQTT broker granted only QoS 0: presses may be lost on a reconnect")
        self._set_ready(True)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            self._live = None
        self._set_ready(False)
        level = logging.INFO if self._stopping else logging.WARNING
        log.log(level, "MQTT disconnected from %s: %s", self._address, reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            self._dispatch(message)
        except Exception:  # an exception here would stop paho's network thread
            log.exception("could not dispatch MQTT message (mid %s); not acknowledged", message.mid)

    def _dispatch(self, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            log.error("dropping MQTT message with a non-UTF-8 topic (mid %s)", message.mid)
            _ack_message(self._client, message.mid, message.qos)
            return
        if not self._accepting or self._loop is None:
            log.debug("not accepting; %s (mid %s) left for redelivery", topic, message.mid)
            return
        delivery = _Delivery(
            topic,
            bytes(message.payload),
            bool(message.retain),
            message.mid,
            message.qos,
            self._epoch,
        )
        future = asyncio.run_coroutine_threadsafe(self._process(delivery), self._loop)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _set_ready(self, ready: bool) -> None:
        self._ready = ready
        if ready and self._loop is not None and self._ready_event is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self._loop.call_soon_threadsafe(self._ready_event.set)

    # -- event loop ----------------------------------------------------------------------------

    async def _process(self, delivery: _Delivery) -> None:
        """Run after the previous message of the same topic, so a device's events keep order."""
        me = asyncio.current_task()
        assert me is not None
        previous = self._tails.get(delivery.topic)
        self._tails[delivery.topic] = me
        try:
            if previous is not None:
                await asyncio.wait([previous])
            await self._handle(delivery)
        finally:
            if self._tails.get(delivery.topic) is me:
                del self._tails[delivery.topic]

    async def _handle(self, delivery: _Delivery) -> None:
        if delivery.epoch != self._live:
            log.info("skipping %s from a lost connection; it will be redelivered", delivery.topic)
            return
        try:
            async with asyncio.timeout(self._handler_timeout_s):
                await self._handler(delivery.topic, delivery.payload, delivery.retain)
        except Exception:  # TimeoutError included: a stuck handler must not hold up its device
            log.exception("handler failed for %s; not acknowledged", delivery.topic)
            self._after_failure(delivery)
            return
        self._ack(delivery)

    def _ack(self, delivery: _Delivery) -> None:
        with self._lock:
            if delivery.epoch != self._live:
                log.info("not acknowledging %s: its connection is gone", delivery.topic)
                return
            _ack_message(self._client, delivery.mid, delivery.qos)
        if self._delay_raised:  # network outages start again from the shortest delay
            log.debug("acknowledged %s; reconnect delay back to %s", delivery.topic, self._backoff)
            self._delay_raised = False
            self._client.reconnect_delay_set(*self._backoff)

    def _after_failure(self, delivery: _Delivery) -> None:
        """Drop the connection so the broker redelivers, after a delay that grows with failures."""
        with self._lock:
            if delivery.epoch != self._live:
                return  # already reconnecting: the message comes back anyway
            self._live = None  # no more acks on the connection we are about to drop
            sock = self._client.socket()
        delay = self._next_delay()
        self._client.reconnect_delay_set(delay, self._backoff[1])
        self._delay_raised = True
        log.warning("reconnecting in %d s so the broker redelivers %s", delay, delivery.topic)
        if isinstance(sock, socket.socket):
            _shutdown(sock)

    def _next_delay(self) -> int:
        """1, 2, 4 ... s for failures in a row; the count starts again after a quiet spell."""
        low, high = self._backoff
        now = time.monotonic()
        if now - self._last_failure_at > 2 * high:
            self._failures = 0
        self._failures += 1
        self._last_failure_at = now
        return int(min(low * 2 ** (self._failures - 1), high))

    async def _drain(self, within_s: float) -> None:
        running = [asyncio.wrap_future(f) for f in list(self._pending)]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=within_s)
        for future in late:
            future.cancel()
        if late:
            log.warning("stopped %d unfinished MQTT handlers; they will be redelivered", len(late))
            await asyncio.wait(late, timeout=1.0)


def _ack_message(client: mqtt.Client, mid: int, qos: int) -> None:
    if qos > 0:
        client.ack(mid, qos)


def _shutdown(sock: socket.socket) -> None:
    """Half-close both ways: paho's network thread sees the connection lost and reconnects."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)
