"""Who may publish what, on the embedded broker too: when an office file has an `mqtt:` section,
the in-process broker checks every login and topic against the same accounts that
`rollekort mqtt acl` writes for Mosquitto, and the service signs in with its own account (its
feedback publisher with `<account>-feedback`: a connection's client id is its username)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml

from app.config.mqtt_access import MqttUser, access_of, configured, feedback_username
from app.config.schema import OfficeFile
from app.settings import Settings


@dataclass(frozen=True)
class EmbeddedAccess:
    users: tuple[MqttUser, ...]
    url: str  # the broker URL with the service's own credentials


class MissingServicePassword(ValueError):
    pass


def embedded_access(texts: Sequence[str], settings: Settings) -> EmbeddedAccess | None:
    """The accounts to enforce, or None when no office configures MQTT access (then the
    broker admits loopback clients, as in a demo). The service's password is the file's
    (demo files only) or ROLLEKORT_MQTT_SERVICE_PASSWORD."""
    models = [OfficeFile.model_validate(yaml.safe_load(text)) for text in texts]
    if not configured(models):
        return None
    service = next(m.mqtt.service for m in models if m.mqtt is not None)
    password = service.password or settings.mqtt_service_password
    if not password:
        raise MissingServicePassword(
            f"the office files give the MQTT service account {service.username!r} only as a "
            "hash: set ROLLEKORT_MQTT_SERVICE_PASSWORD so the service can sign in"
        )
    host, port = settings.embedded_broker_host, settings.embedded_broker_port
    url = f"mqtt://{quote(service.username, safe='')}:{quote(password, safe='')}@{host}:{port}"
    return EmbeddedAccess(tuple(access_of(models)), url)


def feedback_url(broker_url: str) -> str:
    """The URL the feedback publisher connects with: the service's, signed in as the
    `<account>-feedback` account (same password) when the URL names an account. Brokers with
    accounts replace a client id by the username, so the service's two connections need two."""
    parts = urlsplit(broker_url)
    if parts.username is None:
        return broker_url
    _, _, host = parts.netloc.rpartition("@")
    user = quote(feedback_username(unquote(parts.username)), safe="")
    password = f":{parts.password}" if parts.password is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}{password}@{host}"))
