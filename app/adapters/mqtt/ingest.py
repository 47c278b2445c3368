"""At-least-once intake of device messages: the PUBACK goes out only after the handler succeeded.

paho-mqtt with a persistent session and manual acks. Each message is handed to an async handler;
when the handler returns, the message is acknowledged; when it raises, it is not, and the
connection is dropped on purpose so the broker redelivers it after the reconnect (MQTT redelivers
unacknowledged QoS 1 messages only on a new connection). Messages of one topic (one device) are
handled in arrival order, one at a time; a handler slower than `handler_timeout_s` counts as
failed: one stuck press cannot block a device.

paho's network loop runs in its own thread (`loop_start`): it reads, writes, sends the keepalive
and reconnects (with backoff) whatever the event loop is doing. Why: with the socket on the event
loop, a loop saturated by a reconnect storm of thousands of handsets ran paho's keepalive too
late; Mosquitto dropped the connection for a missed keepalive and presses went unheard. A busy
service must never stop hearing buttons; a thread that only waits on one socket gets the GIL
within the interpreter's switch interval (5 ms) however busy the loop is. The price is one
hand-over per message to the loop (`call_soon_threadsafe`), measured by `rollekort bench latency`.

Every connection has an epoch, counted in paho's thread. An acknowledgement is sent only while the
connection that delivered the message is live (checked and sent under one lock, so paho's thread
cannot start a new connection in between): after a reconnect the broker resends the message
anyway, and a late PUBACK carrying an old packet id could acknowledge another message reusing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from app.adapters.mqtt.backoff import Backoff
from app.adapters.mqtt.session import (
    ack_message,
    connect_resuming,
    drain,
    no_reconnect,
    persistent_client,
    refused_mqtt5,
    shutdown,
)
from app.adapters.mqtt.url import DEFAULT_PORT, BrokerAddress
from app.settings import MqttProtocol
from devices.topics import INGEST_FILTERS

__all__ = ["DEFAULT_PORT", "BrokerAddress", "MessageHandler", "MqttIngest", "MqttProtocol"]

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, bool], Awaitable[object]]
"""`(topic, payload, retained)` → what to await before the acknowledgement. Called on the event
loop as the message arrives (unless an earlier message of its topic is still being handled), so
a handler may do its urgent work before returning. Raise, or let the awaitable raise, only for
transient failures (the message comes back)."""

DISCONNECT_FLUSH_S = 2.0
"""How long `stop()` waits for the DISCONNECT packet to be written before giving up on it."""


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

    One-shot: `start()` once, `stop()` once (a second `stop()` does nothing). `connected` is true
    while the client is connected and its subscription is acknowledged (use it for /readyz).
    """

    def __init__(
        self,
        url: str,
        handler: MessageHandler,
        *,
        client_id: str,
        protocol: MqttProtocol = "3.1.1",
        session_expiry_s: int = 7 * 24 * 3600,
        receive_maximum: int = 1000,
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
        self._receive_maximum = receive_maximum
        self._filters = tuple(filters)
        self._keepalive_s = keepalive_s
        self._backoff = Backoff(reconnect_min_s, reconnect_max_s)
        self._handler_timeout_s = handler_timeout_s
        # Written by paho's thread under _lock: which connection is live.
        self._lock = threading.Lock()
        self._epoch = 0  # numbers connections
        self._live: int | None = None  # the epoch whose messages may still be acknowledged
        self._subscribe_mid: int | None = None
        self._unreachable_logged = False
        # The event loop's side.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = False
        self._accepting = False
        self._stopping = False
        self._started = False
        self._ready_event = asyncio.Event()
        self._gone = asyncio.Event()  # set when paho's thread reports the connection closed
        self._pending: set[asyncio.Task[None]] = set()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._client_id = client_id
        self._client = self._make_client(client_id)
        self.halt_on_drop: Callable[[], None] | None = None  # set while leadership is in doubt

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
        self._accepting = True
        self._connect_async()
        self._client.loop_start()
        self._started = True
        try:
            await asyncio.wait_for(self._ready_event.wait(), wait_s)
        except TimeoutError:
            raise TimeoutError(
                f"MQTT broker {self._address} not connected and subscribed within {wait_s} s"
            ) from None

    async def stop(self, drain_s: float = 5.0) -> None:
        """Stop taking messages, let running handlers finish (their acks still go out) for up to
        `drain_s` seconds, cancel the rest unacknowledged, then disconnect cleanly.
        The broker keeps the session, so unacknowledged messages come back on the next start.
        A connect under way is waited for (paho gives up on it after `connect_timeout`, 5 s)."""
        self._accepting = False
        self._stopping = True
        await drain(self._pending, drain_s)
        if self._started:
            self._started = False
            await self._disconnect()
        self._ready = False

    def halt(self) -> None:
        """Stop at once, unacknowledged, no reconnect (it would kick the new leader off)."""
        self._accepting, self._stopping, self._ready = False, True, False
        with self._lock:
            self._live = None
        no_reconnect(self._client)  # and the session stays

    # -- the connection ------------------------------------------------------------------------

    def _make_client(self, client_id: str) -> mqtt.Client:
        client = persistent_client(client_id, self._protocol, self._address, self._backoff)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _connect_async(self) -> None:
        """Set where and how to connect; paho's thread does it (and every reconnect)."""
        connect_resuming(
            self._client,
            self._protocol,
            self._address,
            self._keepalive_s,
            self._session_expiry_s,
            self._receive_maximum,
        )

    async def _disconnect(self) -> None:
        """Send DISCONNECT (the session stays), then end paho's thread."""
        if self._ready:
            self._gone.clear()
            self._client.disconnect()
            try:
                await asyncio.wait_for(self._gone.wait(), DISCONNECT_FLUSH_S)
            except TimeoutError:
                log.warning("MQTT broker %s did not take the DISCONNECT", self._address)
        else:
            self._client.disconnect()  # also ends a reconnect wait
        await asyncio.to_thread(self._client.loop_stop)

    def _to_loop(self, action: Callable[..., None], *args: Any) -> None:
        """From paho's thread: run `action` on the event loop, in the order the calls came."""
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to tell
            self._loop.call_soon_threadsafe(action, *args)

    # -- paho callbacks, in paho's thread -------------------------------------------------------

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
            if refused_mqtt5(self._protocol, reason_code):
                no_reconnect(client)  # it would be refused again and again
                self._to_loop(self._fall_back, client)
            return
        with self._lock:
            self._epoch += 1
            self._live = self._epoch
        self._unreachable_logged = False
        log.info("MQTT connected to %s (session present: %s)", self._address, flags.session_present)
        _, mid = client.subscribe([(topic_filter, 1) for topic_filter in self._filters])
        self._subscribe_mid = mid

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        level = logging.DEBUG if self._unreachable_logged else logging.WARNING
        self._unreachable_logged = True
        log.log(level, "MQTT broker %s unreachable; retrying", self._address)

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
        self._to_loop(self._became_ready)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            self._live = None  # no more acks for this connection's messages
        drop, self.halt_on_drop = self.halt_on_drop, None
        if drop is not None:  # maybe a new leader took the session: no reconnect, once
            no_reconnect(client)
            self._to_loop(drop)
        level = logging.INFO if self._stopping else logging.WARNING
        log.log(level, "MQTT disconnected from %s: %s", self._address, reason_code)
        self._to_loop(self._connection_closed)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            log.error("dropping MQTT message with a non-UTF-8 topic (mid %s)", message.mid)
            ack_message(client, message.mid, message.qos)
            return
        payload, retain = bytes(message.payload), bool(message.retain)
        delivery = _Delivery(topic, payload, retain, message.mid, message.qos, self._epoch)
        self._to_loop(self._dispatch, delivery)

    # -- on the event loop ---------------------------------------------------------------------

    def _fall_back(self, refused: mqtt.Client) -> None:
        """A broker that speaks only MQTT 3.1.1 refused MQTT 5: connect with 3.1.1, the same
        client id and session. Its window then paces a burst (docs/operations.md)."""
        if refused is not self._client or self._stopping:
            return
        log.warning("MQTT broker %s does not speak MQTT 5; connecting with 3.1.1", self._address)
        self._protocol = "3.1.1"
        self._client = self._make_client(self._client_id)
        self._connect_async()
        self._client.loop_start()  # the refused client's thread has ended (no reconnect)

    def _became_ready(self) -> None:
        self._ready = True
        self._ready_event.set()

    def _connection_closed(self) -> None:
        self._ready = False
        self._gone.set()

    def _dispatch(self, delivery: _Delivery) -> None:
        if not self._accepting:
            log.debug(
                "not accepting; %s (mid %s) left for redelivery", delivery.topic, delivery.mid
            )
            return
        try:
            self._spawn(delivery)
        except Exception:
            log.exception(
                "could not dispatch MQTT message (mid %s); not acknowledged", delivery.mid
            )

    def _spawn(self, delivery: _Delivery) -> None:
        """Hand the message to the handler now if its topic is idle, else after the previous
        message of its topic; then await what the handler returned, and acknowledge."""
        previous = self._tails.get(delivery.topic)
        begun: Awaitable[object] | None = None
        if previous is None or previous.done():
            begun = self._begin(delivery)
            work = self._finish(delivery, begun)
        else:
            work = self._process(delivery, previous)
        task = asyncio.get_running_loop().create_task(work)
        if isinstance(begun, Coroutine):  # cancelled before it ran (a stop): no "never awaited"
            task.add_done_callback(lambda _: begun.close())
        self._tails[delivery.topic] = task
        self._pending.add(task)
        task.add_done_callback(partial(self._forget, delivery.topic))

    def _forget(self, topic: str, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if self._tails.get(topic) is task:
            del self._tails[topic]

    # -- handling ------------------------------------------------------------------------------

    async def _process(self, delivery: _Delivery, previous: asyncio.Task[None]) -> None:
        """After the previous message of the same topic, so a device's events keep order."""
        if not previous.done():
            await asyncio.wait([previous])
        await self._finish(delivery, self._begin(delivery))

    def _begin(self, delivery: _Delivery) -> Awaitable[object] | None:
        """Call the handler; None when the message is not to be acknowledged."""
        if delivery.epoch != self._live:
            log.info("skipping %s from a lost connection; it will be redelivered", delivery.topic)
            return None
        try:
            return self._handler(delivery.topic, delivery.payload, delivery.retain)
        except Exception:
            log.exception("handler failed for %s; not acknowledged", delivery.topic)
            self._after_failure(delivery)
            return None

    async def _finish(self, delivery: _Delivery, work: Awaitable[object] | None) -> None:
        if work is None:
            return
        try:
            async with asyncio.timeout(self._handler_timeout_s):
                await work
        except Exception:  # TimeoutError included: a stuck handler must not hold up its device
            log.exception("handler failed for %s; not acknowledged", delivery.topic)
            self._after_failure(delivery)
            return
        self._ack(delivery)

    def _ack(self, delivery: _Delivery) -> None:
        """Only on the connection that delivered it (checked and queued under the lock)."""
        with self._lock:
            if delivery.epoch != self._live:
                log.info("not acknowledging %s: its connection is gone", delivery.topic)
                return
            ack_message(self._client, delivery.mid, delivery.qos)
        if self._backoff.after_ack():
            self._client.reconnect_delay_set(self._backoff.low, self._backoff.high)

    def _after_failure(self, delivery: _Delivery) -> None:
        """Drop the connection so the broker redelivers, after a delay that grows with failures."""
        with self._lock:
            if delivery.epoch != self._live:
                return  # already reconnecting: the message comes back anyway
            self._live = None  # no more acks on the connection we are about to drop
            sock = self._client.socket()
        delay = self._backoff.after_failure()
        self._client.reconnect_delay_set(delay, max(delay, self._backoff.high))
        log.warning("reconnecting in %g s so the broker redelivers %s", delay, delivery.topic)
        if isinstance(sock, socket.socket):
            shutdown(sock)  # paho's thread sees the connection lost, as if the broker left
