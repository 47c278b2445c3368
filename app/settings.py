"""Service settings: each option is a `rollekort serve` flag and a ROLLEKORT_ variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.shipped import demo_office

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
    mqtt_service_password: str | None = Field(
        None, description="the service's MQTT password when office files give only its hash"
    )
    max_payload_bytes: int = Field(4096, description="larger MQTT messages are rejected")
    hello_timeout_s: float = 5.0
    ping_interval_s: float = Field(10.0, description="a handset missing two pings is absent")
    dedupe_horizon_h: int = Field(48, description="press keys kept in memory after a restart")
    notify_webhook_url: str | None = Field(
        None, description="where external alerts are POSTed (http or https); unset: none are sent"
    )
    notify_webhook_secret: str | None = Field(
        None, repr=False, description="shared secret for the X-Rollekort-Signature HMAC"
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
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def embedded(self) -> bool:
        return self.broker == EMBEDDED

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def broker_url(self) -> str:
        if self.embedded:
            return f"mqtt://{self.embedded_broker_host}:{self.embedded_broker_port}"
        return self.broker
