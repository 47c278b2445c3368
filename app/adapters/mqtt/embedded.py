"""The in-process MQTT broker behind `rollekort serve` without --broker: amqtt, made at-least-once.

amqtt 0.12.1 out of the box loses presses in three ways, each fixed here (and shown by
tests/integration/test_mqtt_ingest.py against the unmodified broker):

1. Anonymous clients get no persistent session: their offline queue is never filled and the
   session is deleted a second after they disconnect. `LoopbackAuthPlugin` admits loopback
   clients without marking them anonymous.
2. A QoS 1 message that is not acknowledged within 5 s, or whose subscriber disconnects first, is
   dropped from the session's in-flight store, so it is never redelivered. `_RedeliveringHandler`
   keeps it until a PUBACK arrives and resends it (DUP) when the client reconnects.
3. Messages queued while a persistent subscriber was offline are delivered with the retain flag
   set, and a reconnecting client is sent retained messages of every client's subscriptions.
   `_Broker` clears the flag (MQTT-3.3.1-9) and sends only the client's own.

With `access` (the offices' `mqtt:` accounts, `app.config.mqtt_access`), `AccessAuthPlugin`
checks each client's username and password and `AccessTopicPlugin` its topics, with the rules
the generated Mosquitto ACL gives: a device publishes only its own topics, only the service reads
them; and a client's id is its username (`use_username_as_clientid` in Mosquitto). Without it,
loopback clients are admitted as before. Either way no session is deleted or taken over before
the login is checked (amqtt does both first).

amqtt keeps everything in memory: sessions and queued messages end with the process.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import Action, BrokerConfig, ListenerConfig, ListenerType
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import OUTGOING, Session
from amqtt.utils import gen_client_id

from app.config.mqtt_access import MqttUser, check_password

log = logging.getLogger(__name__)

TESTED_AMQTT = "0.12.1"
_RENEWED_ON_CONNECT = (
    "will_flag",
    "will_message",
    "will_topic",
    "will_qos",
    "keep_alive",
    "username",
    "password",
)
PUBACK_WAIT_S = 5.0
"""How long one send waits for its PUBACK; the message stays in flight after that, until acked."""


class LoopbackAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """Admit loopback clients (anyone, with `allow_remote`) as identified, not anonymous, clients:
    amqtt keeps no session, and so no offline queue, for an anonymous one."""

    @dataclass
    class Config:
        allow_remote: bool = False

    async def authenticate(self, *, session: Session) -> bool:
        allowed = bool(self.config.allow_remote) or _is_loopback(session.remote_address)
        if not allowed:
            log.warning("refused MQTT client from %s", session.remote_address)
        return allowed


class AccessAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """Admit only a known username with its password (and, without `allow_remote`, only from
    loopback); such a client is identified, so it keeps a persistent session."""

    @dataclass
    class Config:
        users: Any = None  # tuple[MqttUser, ...]
        allow_remote: bool = False

    async def authenticate(self, *, session: Session) -> bool:
        if not (self.config.allow_remote or _is_loopback(session.remote_address)):
            log.warning("refused MQTT client from %s", session.remote_address)
            return False
        user = _user(self.config.users, session)
        ok = user is not None and check_password(session.password or "", user.password_hash)
        if not ok:
            log.warning("refused MQTT login %r from %s", session.username, session.remote_address)
        return ok


class AccessTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """Publish only on the account's write topics; subscribe and receive only its read topics.
    A refused publish is dropped without a word, as Mosquitto does."""

    @dataclass
    class Config:
        users: Any = None  # tuple[MqttUser, ...]

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool:
        user = _user(self.config.users, session)
        if user is None or topic is None:
            return False
        if action == Action.PUBLISH:
            allowed = user.may_publish(topic)
        elif action == Action.SUBSCRIBE:
            allowed = user.may_subscribe(topic)
        else:
            allowed = user.may_receive(topic)
        if not allowed:
            log.info("MQTT %s of %r refused on %s", action, user.username, topic)
        return allowed


def _user(users: Sequence[MqttUser] | None, session: Session | None) -> MqttUser | None:
    name = None if session is None else session.username
    return next((u for u in users or () if u.username == name), None)


class _RedeliveringHandler(BrokerProtocolHandler):  # type: ignore[misc]  # amqtt is untyped
    """Outgoing QoS 1 leaves the session's in-flight store only when its PUBACK arrives."""

    async def _handle_qos1_message_flow(self, app_message: Any) -> None:
        if app_message.direction != OUTGOING or self.session is None:
            await super()._handle_qos1_message_flow(app_message)
            return
        await self._send_qos1(app_message)

    async def _send_qos1(self, message: Any) -> None:
        packet_id = message.packet_id
        self.session.inflight_out[packet_id] = message
        packet = message.build_publish_packet(dup=message.publish_packet is not None)
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._puback_waiters[packet_id] = waiter
        try:
            await self._send_packet(packet)
            message.publish_packet = packet
            message.puback_packet = await asyncio.wait_for(waiter, PUBACK_WAIT_S)
        except TimeoutError:
            log.debug("no PUBACK yet for %s; kept for redelivery", packet_id)
        finally:
            self._puback_waiters.pop(packet_id, None)

    async def handle_puback(self, puback: Any) -> None:
        packet_id = puback.variable_header.packet_id
        if self.session is not None:
            self.session.inflight_out.pop(packet_id, None)
        waiter = self._puback_waiters.get(packet_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(puback)


class _Broker(Broker):  # type: ignore[misc]  # amqtt ships no type hints
    """amqtt's broker with the fixes above, and no session touched before the login is checked:
    amqtt 0.12.1 deletes a clean-session client's old session, and takes over a connected one,
    before (or regardless of) authentication. With `tie_client_ids` (accounts configured), a
    client's id becomes its username, as Mosquitto's `use_username_as_clientid` does, so no
    account can take over the service's or another device's session (issue 12, hole 1)."""

    def __init__(self, config: BrokerConfig, *, tie_client_ids: bool = False) -> None:
        super().__init__(config)
        self._tie_client_ids = tie_client_ids

    async def _initialize_client_session(
        self, reader: Any, writer: Any, remote_address: str, remote_port: int
    ) -> tuple[Any, Session]:
        try:
            _, session = await BrokerProtocolHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
        except MQTTError:
            await writer.close()
            raise
        except NoDataError as exc:
            raise AMQTTError(exc) from exc
        handler = _RedeliveringHandler(self.plugins_manager, loop=self._loop)
        if not await self._authenticate(session, None):
            handler.attach(session, reader, writer)
            session.parent = 0
            await handler.mqtt_connack_authorize(False)
            await writer.close()
            raise AMQTTError(f"login refused from {remote_address}")
        if self._tie_client_ids:
            session.client_id = session.username
        return handler, await self._attach_session(session)

    async def _attach_session(self, session: Session) -> Session:
        """What amqtt 0.12.1 does after reading CONNECT: a clean start deletes the old session,
        otherwise the stored one (if any) continues with the new connection's settings."""
        if session.clean_session:
            if session.client_id:
                await self._delete_session(session.client_id)
            else:
                session.client_id = gen_client_id()
            session.parent = 0
        elif session.client_id in self._sessions:
            stored, _ = self._sessions[session.client_id]
            for name in _RENEWED_ON_CONNECT:
                setattr(stored, name, getattr(session, name))
            session, session.parent = stored, 1
        else:
            session.parent = 0
        delay = self.config.get("timeout-disconnect-delay", 0)
        if session.keep_alive > 0 and isinstance(delay, int):
            session.keep_alive += delay
        return session

    async def _publish_session_retained_messages(self, session: Session) -> None:
        """Deliver what was queued while the client was away, as ordinary (not retained) sends."""
        handler = self._get_handler(session)
        sends = []
        while handler and not session.retained_messages.empty():
            queued = session.retained_messages.get_nowait()
            sends.append(handler.mqtt_publish(queued.topic, queued.data, queued.qos, retain=False))
        if sends:
            await asyncio.gather(*sends, return_exceptions=True)

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        subscribers = self._subscriptions.get(subscription[0], [])
        if any(sub.client_id == session.client_id for sub, _ in subscribers):
            await super()._publish_retained_messages_for_subscription(subscription, session)


def broker_config(
    host: str,
    port: int,
    *,
    session_expiry_s: int | None = None,
    allow_remote: bool = False,
    access: Sequence[MqttUser] | None = None,
) -> BrokerConfig:
    """amqtt's configuration: one TCP listener, the loopback auth plugin (or, with `access`, the
    account and topic checks), no $SYS or packet logs."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    plugins: dict[str, dict[str, Any]] = {
        f"{__name__}.LoopbackAuthPlugin": {"allow_remote": allow_remote}
    }
    if access:
        users = tuple(access)
        plugins = {
            f"{__name__}.AccessAuthPlugin": {"users": users, "allow_remote": allow_remote},
            f"{__name__}.AccessTopicPlugin": {"users": users},
        }
    return BrokerConfig(
        listeners={"default": ListenerConfig(type=ListenerType.TCP, bind=bind)},
        session_expiry_interval=session_expiry_s,
        plugins=plugins,
    )


class EmbeddedBroker:
    """amqtt in this process and event loop, on `host:port`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 18830,
        *,
        session_expiry_s: int | None = None,
        allow_remote: bool = False,
        access: Sequence[MqttUser] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._config = broker_config(
            host,
            port,
            session_expiry_s=session_expiry_s,
            allow_remote=allow_remote,
            access=access,
        )
        self._tie_client_ids = bool(access)  # accounts: a client id is its username
        self._broker: Broker | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"

    async def start(self) -> None:
        quiet_amqtt_logs()
        if version("amqtt") != TESTED_AMQTT:
            log.warning("amqtt fixes were written for %s; rerun the MQTT tests", TESTED_AMQTT)
        broker = _Broker(self._config, tie_client_ids=self._tie_client_ids)
        await broker.start()
        self._broker = broker
        log.info("embedded MQTT broker listening on %s", self.url)

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None


def quiet_amqtt_logs() -> None:
    for name in ("amqtt", "transitions"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return ip.is_loopback or bool(mapped and mapped.is_loopback)
