"""The broker: the embedded one when asked for, the feedback publisher, and, started last, the
ingest that feeds presses to the intake."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from app.adapters.mqtt.embedded import EmbeddedBroker
from app.adapters.mqtt.ingest import MqttIngest
from app.adapters.mqtt.publisher import MqttPublisher
from app.service.broker_access import embedded_access, feedback_url
from app.service.intake import Intake
from app.settings import Settings


@dataclass(frozen=True)
class Broker:
    url: str  # where the service connects: the embedded broker's own user when it runs one
    publisher: MqttPublisher


async def open_broker(
    settings: Settings, texts: list[str], stack: contextlib.AsyncExitStack
) -> Broker:
    """Start the embedded broker (who may publish what, as in Mosquitto) if asked, then the
    publisher of feedback to devices."""
    url = settings.broker_url
    if settings.embedded:
        access = embedded_access(texts, settings)
        broker = EmbeddedBroker(
            settings.embedded_broker_host,
            settings.embedded_broker_port,
            access=access.users if access else None,
        )
        await broker.start()
        stack.push_async_callback(broker.stop)
        url = access.url if access else url
    # an account of its own; paho's network thread keeps the keepalive whatever the loop does
    publisher = MqttPublisher(feedback_url(url), keepalive_s=settings.mqtt_keepalive_s)
    await publisher.start()
    stack.push_async_callback(publisher.stop)
    return Broker(url, publisher)


async def start_ingest(
    settings: Settings,
    broker: Broker,
    intake: Intake,
    filters: Sequence[str],
    stack: contextlib.AsyncExitStack,
) -> MqttIngest:
    """Last of all: presses are taken only once everything they reach is running."""
    ingest = MqttIngest(
        broker.url,
        intake.on_message,
        client_id=settings.mqtt_client_id,
        protocol=settings.intake_protocol,
        session_expiry_s=settings.mqtt_session_expiry_s,
        receive_maximum=settings.mqtt_receive_maximum,
        filters=filters,
        keepalive_s=settings.mqtt_keepalive_s,
    )
    await ingest.start()
    stack.push_async_callback(ingest.stop)
    return ingest


def broker_check(ingest: MqttIngest) -> Callable[[], Awaitable[str | None]]:
    """For /readyz: not ready while the ingest is not connected and subscribed."""

    async def check() -> str | None:
        return None if ingest.connected else "broker: not connected"

    return check
