"""The service's VAPID key (RFC 8292): the push service checks that every message to a
subscription is signed by the key the subscription was made for.

Configured (`ROLLEKORT_VAPID_PRIVATE_KEY`, PEM or the base64url raw key), or generated once into
`ROLLEKORT_VAPID_KEY_FILE` (readable by the service's user only) and read from there after, so
subscriptions stay valid across restarts. The private key is never logged.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

log = structlog.get_logger(__name__)


def load_or_create(configured: str | None, key_file: Path | None) -> Vapid02:
    if configured:
        text = configured.strip()
        if "BEGIN" in text:
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_string(text)
    if key_file is not None and key_file.exists():
        return Vapid02.from_file(str(key_file))
    vapid = Vapid02()
    vapid.generate_keys()
    if key_file is None:
        return vapid  # an in-memory database: nothing outlives this run
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(vapid.private_pem())
    log.info("VAPID key generated", file=str(key_file))
    return vapid


def public_key(vapid: Vapid02) -> str:
    """The browser's `applicationServerKey`: the uncompressed P-256 point, base64url."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
