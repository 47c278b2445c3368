"""A persistent paho session for the ingest: the client, its resuming connect, acks, teardown.

Split from `ingest` so that module holds only the at-least-once hand-over to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Set

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from app.adapters.mqtt.backoff import Backoff
from app.adapters.mqtt.url import BrokerAddress
from app.settings import MqttProtocol

UNSUPPORTED_PROTOCOL = ReasonCode(PacketTypes.CONNACK, "Unsupported protocol version")
"""What paho makes of a 3.1.1 broker's refusal of an MQTT 5 CONNECT (return code 1)."""

log = logging.getLogger(__name__)


def persistent_client(
    client_id: str, protocol: MqttProtocol, address: BrokerAddress, backoff: Backoff
) -> mqtt.Client:
    """A client with a session the broker keeps (no clean session) and acks sent by hand."""
    v5 = protocol == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=None if v5 else False,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        manual_ack=True,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    client.reconnect_delay_set(backoff.low, backoff.high)
    return client


def connect_resuming(
    client: mqtt.Client,
    protocol: MqttProtocol,
    address: BrokerAddress,
    keepalive_s: int,
    session_expiry_s: int,
    receive_maximum: int,
) -> None:
    """Set where and how to connect, resuming the session; paho's thread connects.

    MQTT 5 only: Receive Maximum is how many QoS 1 messages the broker may send before the
    first is acknowledged. The intake acknowledges a press once it is durable, so under 3.1.1
    the broker's own window (Mosquitto's default: 20) made a burst of 500 presses wait for
    25 commits in turn."""
    host, port = address.host, address.port
    if protocol == "5":
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = session_expiry_s
        props.ReceiveMaximum = receive_maximum
        client.connect_async(host, port, keepalive_s, clean_start=False, properties=props)
    else:
        client.connect_async(host, port, keepalive_s)


def refused_mqtt5(protocol: MqttProtocol, reason_code: ReasonCode) -> bool:
    """The broker speaks only 3.1.1 (per its spec it answers an MQTT 5 CONNECT with code 1)."""
    return protocol == "5" and reason_code == UNSUPPORTED_PROTOCOL


def ack_message(client: mqtt.Client, mid: int, qos: int) -> None:
    if qos > 0:
        client.ack(mid, qos)


def shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def no_reconnect(client: mqtt.Client) -> None:
    """End the connection, if any, and paho's reconnecting for good, from any thread, in
    `on_disconnect` too (where `disconnect()` alone is undone: paho marks the connection lost
    after the callback and reconnects). paho has no public switch for this after construction;
    tests/integration/test_ingest_takeover.py fails if this one stops working."""
    client._reconnect_on_failure = False
    client.disconnect()


async def drain(pending: Set[asyncio.Task[None]], within_s: float) -> None:
    """Let running handlers finish for up to `within_s`; cancel the rest (not acknowledged,
    so the broker sends them again)."""
    running = list(pending)
    if not running:
        return
    _, late = await asyncio.wait(running, timeout=within_s)
    for task in late:
        task.cancel()
    if late:
        log.warning("stopped %d unfinished MQTT handlers; they will be redelivered", len(late))
        await asyncio.wait(late, timeout=1.0)
