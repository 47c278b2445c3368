"""Service settings: each option is a `rollekort serve` flag and a ROLLEKORT_ variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from app.redact import url_password
from app.shipped import demo_office

MqttProtocol = Literal["3.1.1", "5"]
"""The MQTT versions the service speaks (app.adapters.mqtt.session)."""

EMBEDDED = "embedded"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLLEKORT_", extra="ignore")

    config: Path = Field(
        default_factory=demo_office,
        description="office file or folder of them (default: the demo office in the package)",
    )
    broker: str = Field(EMBEDDED, description="'embedded' or mqtt://[user:pass@]host:port")
    embedded_broker_host: str = "127.0.0.1"
    embedded_broker_port: int = Field(18830, description="port of the in-process broker")
    db: str = Field("sqlite+aiosqlite:///rollekort.db", description="SQLAlchemy async URL")
    host: str = "127.0.0.1"
    port: int = 8000
    mqtt_client_id: str = Field("rollekort-service", description="fixed, for a persistent session")
    mqtt_session_expiry_s: int = Field(
        7 * 24 * 3600, description="how long the broker keeps presses for us"
    )
    mqtt_keepalive_s: int = Field(
        30, ge=1, description="MQTT keepalive of the intake and feedback connections"
    )
    mqtt_protocol: MqttProtocol = Field(
        "5",
        description="MQTT version of the intake connection to an external broker. 5: the "
        "service says how many presses it takes unacknowledged at once, so a burst is not "
        "paced by the broker's window; a broker that speaks only 3.1.1 refuses it and the "
        "intake connects with 3.1.1 instead. The embedded broker speaks only 3.1.1",
    )
    mqtt_receive_maximum: int = Field(
        1000,
        ge=1,
        le=65535,
        description="MQTT 5: presses the broker may send before the first is acknowledged. "
        "Under 3.1.1 the broker decides (Mosquitto: max_inflight_messages, default 20)",
    )
    mqtt_service_password: str | None = Field(
        None,
        repr=False,
        description="the service's MQTT password when office files give only its hash",
    )
    max_payload_bytes: int = Field(4096, description="larger MQTT messages are rejected")
    hello_timeout_s: float = Field(5.0, description="a handset websocket must say hello by then")
    ws_max_bytes: int = Field(
        64 * 1024, description="larger websocket frames are refused (close 1009), before hello too"
    )
    max_pre_hello: int | None = Field(
        None,
        description="handset websockets waiting for hello; more are refused (close 1013). "
        "Default: as many as the configuration has handsets, at least 1000",
    )
    gc_freeze: bool = Field(
        True,
        description="freeze what survives each garbage collection, so the next one scans only "
        "what is new (with 20,000 handsets a full one stopped the service 1–1.7 s, a young one "
        "0.24–0.37 s); cyclic garbage among frozen objects is freed by an hourly re-scan",
    )
    ping_interval_s: float = Field(10.0, description="a handset missing two pings is absent")
    dedupe_horizon_h: int = Field(48, description="press keys kept in memory after a restart")
    notify_webhook_url: str | None = Field(
        None, description="where external alerts are POSTed (http or https); unset: none are sent"
    )
    notify_webhook_secret: str | None = Field(
        None, repr=False, description="shared secret for the X-Rollekort-Signature HMAC"
    )
    metrics_token: str | None = Field(
        None,
        repr=False,
        description="bearer token /metrics requires; unset: /metrics answers loopback only",
    )
    vapid_private_key: str | None = Field(
        None, repr=False, description="VAPID private key (PEM or base64url); unset: the key file"
    )
    vapid_key_file: Path | None = Field(
        None,
        description="VAPID key, generated here once if not given (default: beside the database)",
    )
    vapid_subject: str = Field(
        "mailto:rollekort@localhost",
        description="VAPID contact (mailto: or https:) for push services",
    )
    push_hosts: str = Field(
        "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
        description="push services (host or parent domain, comma-separated) phones may name",
    )
    push_insecure_endpoints: bool = Field(
        False, description="accept any http(s) push endpoint (a local push service; tests only)"
    )
    offer_confirm_s: float = Field(
        5.0, description="an offer no phone confirmed within this is treated as not delivered"
    )
    push_fresh_s: float = Field(
        600.0, description="a phone counts as reachable by push this long after its last receipt"
    )
    push_check_interval_s: float = Field(
        240.0, description="how often every subscribed phone is sent a silent check push"
    )
    chain_key: str | None = Field(
        None, repr=False, description="key of the timeline's hash chain (hex, 32+ characters)"
    )
    chain_key_file: Path | None = Field(None, description="file holding the chain key")
    data_dir: Path | None = Field(
        None, description="folder for the generated chain key (default: the SQLite file's)"
    )
    # Console sign-in through the organisation's OpenID provider (docs/sign-in.md); off unless
    # an issuer is set. Static API tokens from the office files work either way.
    oidc_issuer: str | None = Field(None, description="the provider's issuer URL")
    oidc_client_id: str | None = Field(None, description="Rollekort's client id there")
    oidc_client_secret: str | None = Field(
        None, repr=False, description="its client secret (none: a public client, PKCE only)"
    )
    oidc_mapping: Path | None = Field(None, description="groups/claims -> role and offices")
    oidc_scopes: str = Field("openid profile", description="scopes asked for")
    oidc_label: str = Field("", description="the sign-in button's name for the provider")
    public_url: str | None = Field(
        None, description="the URL people open (behind a proxy); default: as requested"
    )
    session_hours: float = Field(8.0, gt=0, description="a console session's lifetime")
    replica_id: str | None = Field(
        None,
        max_length=200,
        description="this replica's name in logs and /readyz (default: hostname:pid)",
    )
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def embedded(self) -> bool:
        return self.broker == EMBEDDED

    def secrets(self) -> list[str | None]:
        """Every configured secret, for the log redactor (app.redact): never in a log line."""
        return [
            self.mqtt_service_password,
            self.notify_webhook_secret,
            self.metrics_token,
            self.vapid_private_key,
            self.chain_key,
            self.oidc_client_secret,
            url_password(self.broker),
            url_password(self.db),
            url_password(self.notify_webhook_url),
        ]

    @property
    def data_folder(self) -> Path:
        """The folder for files that belong with the data but not in the database (the chain
        key, the VAPID key): `data_dir`, else the SQLite database's own folder, else
        `./rollekort-data` for a server database. The one rule, for every such file."""
        if self.data_dir is not None:
            return self.data_dir
        url = make_url(self.db)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).resolve().parent
        return Path("rollekort-data")

    @property
    def vapid_path(self) -> Path | None:
        """Where the generated VAPID key lives: the data folder; None with an in-memory
        database, whose subscriptions die with it (a key for this run)."""
        if self.vapid_key_file is not None:
            return self.vapid_key_file
        if ":memory:" in self.db:
            return None
        return self.data_folder / "rollekort-vapid.pem"

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def intake_protocol(self) -> MqttProtocol:
        return "3.1.1" if self.embedded else self.mqtt_protocol

    @property
    def broker_url(self) -> str:
        if self.embedded:
            return f"mqtt://{self.embedded_broker_host}:{self.embedded_broker_port}"
        return self.broker
