"""The organisation's OpenID provider, as the console's sign-in uses it: discovery, the
authorization code flow with PKCE (Authlib) and ID token checks (joserfc: signature against the
provider's JWKS, issuer, audience, expiry, nonce). Nothing here logs a token or a code."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
"""Asymmetric algorithms only: never `none`, never a shared-secret HS256 signature."""
LEEWAY_S = 60
"""Clock skew tolerated between the provider and this service."""
JWKS_REFRESH_S = 60.0
"""An unknown signing key refetches the JWKS (key rotation), at most this often."""
TIMEOUT_S = 10.0


class SignInError(Exception):
    """The provider's answer cannot sign anyone in; the message is safe to log and show."""


@dataclass(frozen=True)
class Pending:
    """A sign-in started in one browser: what its callback must match (kept server-side)."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class Verified:
    claims: dict[str, Any]
    id_token: str  # kept for the provider's logout (id_token_hint); never logged


class Provider:
    """One OpenID provider (issuer) and this service's client registration at it."""

    def __init__(self, issuer: str, client_id: str, client_secret: str | None, scopes: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._scopes = scopes
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched on first use (so the service starts without it)."""
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            found = await self._get_json(url)
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                raise SignInError("the provider's discovery document names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str):
                    raise SignInError(f"the provider's discovery document has no {key}")
            self._metadata = found
        return self._metadata

    async def start(self, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the browser, and what its callback must bring back."""
        meta = await self.metadata()
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            redirect_uri=redirect_uri,
        )
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        return url, pending

    async def finish(self, code: str, pending: Pending) -> Verified:
        """Redeem the code (with the PKCE verifier) and check the ID token it brings."""
        meta = await self.metadata()
        async with self._client(pending.redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"],
                    code=code,
                    code_verifier=pending.code_verifier,
                    redirect_uri=pending.redirect_uri,
                )
            except Exception as err:  # Authlib's OAuth errors and httpx's transport errors
                raise SignInError(f"the provider refused the code ({type(err).__name__})") from None
        raw = token.get("id_token")
        if not isinstance(raw, str):
            raise SignInError("the provider sent no ID token")
        return Verified(await self.verify(raw, pending.nonce), raw)

    async def verify(self, raw: str, nonce: str, now: float | None = None) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
        meta = await self.metadata()
        offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        algs = [a for a in offered if a in SIGNING_ALGS]
        try:
            decoded = jwt.decode(raw, await self._key_set(), algorithms=algs)
        except JoseError:
            if time.monotonic() - self._keys_at < JWKS_REFRESH_S:
                raise SignInError("the ID token's signature does not verify") from None
            try:  # perhaps the provider rotated its keys
                decoded = jwt.decode(raw, await self._key_set(refresh=True), algorithms=algs)
            except (JoseError, ValueError):
                raise SignInError("the ID token's signature does not verify") from None
        except ValueError:
            raise SignInError("the ID token is malformed") from None
        registry = jwt.JWTClaimsRegistry(
            now=int(now) if now is not None else None,
            leeway=LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as err:
            raise SignInError(f"the ID token was refused: {err}") from None
        aud = decoded.claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and decoded.claims.get("azp") != self.client_id:
            raise SignInError("the ID token was issued to another client (azp)")
        return dict(decoded.claims)

    async def logout_url(self, id_token: str, after: str) -> str | None:
        """RP-initiated logout at the provider, when it advertises an end_session_endpoint."""
        try:
            endpoint = (await self.metadata()).get("end_session_endpoint")
        except SignInError:
            return None
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": after,
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            meta = await self.metadata()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError):
                raise SignInError("the provider's JWKS cannot be read") from None
            self._keys_at = time.monotonic()
        return self._keys

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self._secret,
            scope=self._scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self._secret else "none",
            timeout=TIMEOUT_S,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
                response = await http.get(url)
                response.raise_for_status()
                found = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise SignInError(f"the provider did not answer ({type(err).__name__})") from None
        if not isinstance(found, dict):
            raise SignInError("the provider's answer is not a JSON object")
        return found
