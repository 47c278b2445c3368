"""PushSender on pywebpush: the body encrypted for the subscription (RFC 8291, aes128gcm), a
VAPID `Authorization` (RFC 8292) and a POST to its endpoint (RFC 8030) with `TTL` and `Urgency`.

One aiohttp session is reused for every push service; each POST has a 5 s limit. A 404 or 410
means the browser dropped the subscription (PushGone); anything else not 2xx is PushFailed.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import aiohttp
import structlog
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from app.service.push import PushFailed, PushGone, Subscription

log = structlog.get_logger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=5)
JWT_LIFETIME_S = 12 * 3600  # RFC 8292 allows up to 24 h
JWT_REUSE_S = 3600  # a signed JWT is reused this long per push service (no ECDSA per message)


class WebPushSender:
    def __init__(self, vapid: Vapid02, subject: str) -> None:
        self._vapid = vapid
        self._subject = subject
        self._session: aiohttp.ClientSession | None = None
        self._signed: dict[str, tuple[float, dict[str, str]]] = {}  # audience → (until, headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _headers(self, endpoint: str, urgency: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        until, signed = self._signed.get(audience, (0.0, {}))
        if until <= now:
            claims: dict[str, str | int] = {
                "aud": audience,
                "sub": self._subject,
                "exp": int(now) + JWT_LIFETIME_S,
            }
            signed = dict(self._vapid.sign(claims))
            self._signed[audience] = (now + JWT_REUSE_S, signed)
        return {**signed, "Urgency": urgency}

    async def send(self, sub: Subscription, body: bytes, *, ttl: int, urgency: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            pusher = WebPusher(info, aiohttp_session=self._session)
            response = await pusher.send_async(
                body, self._headers(sub.endpoint, urgency), ttl=ttl, timeout=TIMEOUT
            )
        except (WebPushException, ValueError) as err:  # a key the encryption cannot use
            raise PushFailed(f"subscription refused: {type(err).__name__}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise PushFailed(f"push service unreachable: {type(err).__name__}") from err
        assert not isinstance(response, str)
        if response.status in (404, 410):
            raise PushGone()
        if not 200 <= response.status < 300:
            raise PushFailed(f"push service answered {response.status}")
