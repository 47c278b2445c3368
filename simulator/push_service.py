"""A local push service for tests and `rollekort bench push`, speaking RFC 8030 to Rollekort
the way a browser vendor's does: `POST /push/{subscription}` with an aes128gcm body (RFC 8188,
RFC 8291), `TTL`, `Urgency` and a VAPID `Authorization` (RFC 8292). It checks the VAPID JWT's
ES256 signature against the key in the header, its audience and expiry, decrypts the body with
the subscription's own private key and auth secret (as the browser would), and keeps every
message with its arrival time. Answers 201 with a `Location`, 410 for a subscription it dropped.

Independent of the service's sending code: the receiving side is `http_ece` and `cryptography`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PhoneKeys:
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret."""

    sub_id: str
    private: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64u(raw)


@dataclass
class Pushed:
    sub_id: str
    message: dict[str, Any]  # the decrypted JSON
    headers: dict[str, str]  # names in lower case
    received_ns: int  # time.monotonic_ns() when the POST arrived
    vapid_key: str  # the `k=` public key that signed it


@dataclass
class LocalPushService:
    base: str = ""
    phones: dict[str, PhoneKeys] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    messages: list[Pushed] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a POST was refused
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def subscribe(self) -> tuple[PhoneKeys, dict[str, Any]]:
        """A new phone: its keys, and the subscription JSON its browser would give the page."""
        sub_id = os.urandom(8).hex()
        phone = PhoneKeys(sub_id, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.phones[sub_id] = phone
        body = {
            "endpoint": f"{self.base}/push/{sub_id}",
            "expirationTime": None,
            "keys": {"p256dh": phone.p256dh, "auth": b64u(phone.auth)},
        }
        return phone, body

    def of(self, phone: PhoneKeys) -> list[dict[str, Any]]:
        return [p.message for p in self.messages if p.sub_id == phone.sub_id]

    async def wait_for(self, phone: PhoneKeys, **match: Any) -> Pushed:
        """The first message to this phone whose fields match (also one that came before)."""
        async with asyncio.timeout(15), self.arrived:
            while True:
                for pushed in self.messages:
                    fields = pushed.message
                    if pushed.sub_id == phone.sub_id and all(
                        fields.get(k) == v for k, v in match.items()
                    ):
                        return pushed
                await self.arrived.wait()

    async def handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic_ns()
        sub_id = request.match_info["sub"]
        phone = self.phones.get(sub_id)
        if phone is None or sub_id in self.gone:
            return web.Response(status=410)
        body = await request.read()
        try:
            key = self._check_vapid(request)
            if request.headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError("Content-Encoding must be aes128gcm")
            int(request.headers["TTL"])
            plain = http_ece.decrypt(
                body, private_key=phone.private, auth_secret=phone.auth, version="aes128gcm"
            )
            message = json.loads(plain)
        except (ValueError, KeyError, InvalidSignature) as err:
            self.refused.append(repr(err))
            return web.Response(status=400, text=str(err))
        headers = {k.lower(): v for k, v in request.headers.items()}
        pushed = Pushed(sub_id, message, headers, arrived, key)
        async with self.arrived:
            self.messages.append(pushed)
            self.arrived.notify_all()
        return web.Response(status=201, headers={"Location": f"{self.base}/m/{len(self.messages)}"})

    def _check_vapid(self, request: web.Request) -> str:
        """RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT is ES256 over header.claims."""
        scheme, _, params = request.headers["Authorization"].partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("not a vapid Authorization")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        header_b64, claims_b64, sig_b64 = token.split(".")
        header = json.loads(unb64u(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError("VAPID JWT must be ES256")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
        sig = unb64u(sig_b64)
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(unb64u(claims_b64))
        if claims.get("aud") != self.base:
            raise ValueError(f"VAPID aud {claims.get('aud')!r} is not this push service")
        if int(claims["exp"]) < time.time() or int(claims["exp"]) > time.time() + 24 * 3600:
            raise ValueError("VAPID exp out of range")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("VAPID sub must be mailto: or https:")
        return key


async def _floor(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=201)


@contextlib.asynccontextmanager
async def local_push_service() -> AsyncIterator[LocalPushService]:
    svc = LocalPushService()
    app = web.Application()
    app.router.add_post("/push/{sub}", svc.handle)
    app.router.add_post("/floor", _floor)  # a bare POST, for the benchmark's floor
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    svc.base = f"http://127.0.0.1:{port}"
    try:
        yield svc
    finally:
        await runner.cleanup()
