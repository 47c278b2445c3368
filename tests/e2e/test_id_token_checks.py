"""ID token checks (app.adapters.oidc) against a real OpenID provider on loopback: a genuine
token from its code flow verifies; the same claims signed with another key (same algorithm
and key id), a tampered payload, a token past its expiry, a token for another client or
with another nonce, and an unsigned token are refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.adapters.oidc import Provider, SignInError, Verified
from tests.e2e.oidc_provider import CLIENT_ID, approve, provider

REDIRECT = "http://127.0.0.1:9/auth/callback"  # never opened: the test reads the redirect


@pytest.fixture
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


async def genuine(issuer: str) -> tuple[Provider, Verified, str]:
    oidc = Provider(issuer, CLIENT_ID, "secret", "openid")
    url, pending = await oidc.start(REDIRECT)
    async with httpx.AsyncClient() as browser:
        back = httpx.URL(await approve(browser, url, "kari"))
    assert back.params["state"] == pending.state
    return oidc, await oidc.finish(back.params["code"], pending), pending.nonce


def _part(token: str, index: int) -> dict[str, Any]:
    raw = token.split(".")[index]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    return found


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_a_genuine_token_verifies_and_carries_the_groups(issuer: str) -> None:
    oidc, verified, nonce = await genuine(issuer)
    assert verified.claims["sub"] == "kari"
    assert verified.claims["groups"] == ["rk-coordinators-fjellbygd", "everyone"]
    assert (await oidc.verify(verified.id_token, nonce))["iss"] == issuer


async def test_forged_and_stale_tokens_are_refused(issuer: str) -> None:
    oidc, verified, nonce = await genuine(issuer)
    token, claims = verified.id_token, verified.claims
    header = {k: v for k, v in _part(token, 0).items() if k in ("alg", "kid")}
    attacker = RSAKey.generate_key(2048)  # same algorithm and key id, another key
    forged = jwt.encode(header, claims, attacker)
    with pytest.raises(SignInError, match="signature"):
        await oidc.verify(forged, nonce)
    head, _, signature = token.split(".")
    tampered = f"{head}.{_b64({**claims, 'groups': ['rk-admins']})}.{signature}"
    with pytest.raises(SignInError, match="signature"):
        await oidc.verify(tampered, nonce)
    unsigned = f"{_b64({'alg': 'none'})}.{_b64(claims)}."
    with pytest.raises(SignInError):
        await oidc.verify(unsigned, nonce)
    with pytest.raises(SignInError, match="expired"):
        await oidc.verify(token, nonce, now=time.time() + 2 * 3600)
    with pytest.raises(SignInError, match="nonce"):
        await oidc.verify(token, "another-sign-in")
    other_client = Provider(issuer, "another-client", "secret", "openid")
    with pytest.raises(SignInError, match="aud"):
        await other_client.verify(token, nonce)
