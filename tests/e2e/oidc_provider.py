"""A real OpenID provider on loopback for the sign-in tests (the `oidc-provider-mock` package:
discovery, JWKS, authorization code with PKCE, ID tokens signed with its own RSA key, logout),
and the sign-in mapping the tests use: who is what, in which office."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
from oidc_provider_mock import User, run_server_in_thread

OFFICE_A = "load-001"  # the two offices simulator.load.generate writes
OFFICE_B = "load-002"
CLIENT_ID = "rollekort-console"
USERS = (
    User(sub="vera", claims={"groups": ["rk-viewers-fjellbygd"]}),
    User(sub="kari", claims={"groups": ["rk-coordinators-fjellbygd", "everyone"]}),
    User(sub="ola", claims={"roles": ["Rollekort.Admin"]}),
    User(sub="nobody", claims={"groups": ["everyone"]}),
)
MAPPING = f"""
rules:
  - {{claim: groups, value: rk-viewers-fjellbygd, role: viewer, offices: [{OFFICE_A}]}}
  - {{value: rk-coordinators-fjellbygd, role: coordinator, offices: [{OFFICE_A}]}}
  - {{claim: roles, value: Rollekort.Admin, role: admin, offices: ["*"]}}
"""


@contextlib.contextmanager
def provider(token_max_age: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """A provider on a free loopback port; yields its issuer URL."""
    with run_server_in_thread(
        port=0, require_nonce=True, access_token_max_age=token_max_age, user_claims=USERS
    ) as server:
        yield f"http://localhost:{server.server_port}"


def mapping_file(tmp: Path) -> Path:
    path = tmp / "sign-in.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


async def approve(client: httpx.AsyncClient, authorize_url: str, sub: str) -> str:
    """The person `sub` signs in at the provider's page; returns where it sends the browser."""
    response = await client.post(authorize_url, data={"sub": sub})
    assert response.status_code == 302, response.text[:300]
    return response.headers["location"]
