"""The broker address as configured (`mqtt://[user:pass@]host[:port]`), shared by the ingest, the
feedback publisher, the simulator and the benchmarks; kept apart from the ingest so that they do
not need the ingest's machinery to read a URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

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
