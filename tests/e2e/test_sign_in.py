"""Console sign-in through a real OpenID provider on loopback (tests/e2e/oidc_provider.py) and
a real service: the code flow with PKCE, groups and claims mapped to roles and offices (a viewer
cannot write, a coordinator of office A cannot see office B), a session refused after sign-out
even when its cookie is replayed, an expired ID token refused, a callback from another browser
refused, and a cookie-carried write without the console's header refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from simulator.load import generate
from tests.e2e.harness import Running, service, settings_for
from tests.e2e.oidc_provider import (
    CLIENT_ID,
    OFFICE_A,
    OFFICE_B,
    approve,
    mapping_file,
    provider,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


def two_offices(tmp: Path) -> Path:
    """Office A and office B, as `rollekort sim load` generates them."""
    folder = tmp / "offices"
    folder.mkdir(exist_ok=True)
    assert [o.office_id for o in generate(folder, 2, 1)] == [OFFICE_A, OFFICE_B]
    return folder


async def _running(tmp_path: Path, sqlite_url: str, issuer: str) -> AsyncIterator[Running]:
    settings = settings_for(
        "embedded",
        sqlite_url,
        config=two_offices(tmp_path),
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="not-checked-by-the-test-provider",
        oidc_mapping=mapping_file(tmp_path),
    )
    async with service(settings) as running:
        yield running


@pytest.fixture
async def running(tmp_path: Path, sqlite_url: str, issuer: str) -> AsyncIterator[Running]:
    async for found in _running(tmp_path, sqlite_url, issuer):
        yield found


async def sign_in(client: httpx.AsyncClient, sub: str) -> httpx.Response:
    """The browser's round trip: console -> provider (sub approves) -> callback."""
    start = await client.get("/auth/login")
    assert start.status_code == 302
    assert "code_challenge=" in start.headers["location"]
    assert "code_challenge_method=S256" in start.headers["location"]
    return await client.get(await approve(client, start.headers["location"], sub))


async def test_roles_and_offices_come_from_the_providers_groups(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as kari:
        done = await sign_in(kari, "kari")
        assert done.status_code == 302 and done.headers["location"] == "/console"
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        me = (await kari.get("/api/v1/whoami")).json()
        assert me["role"] == "coordinator"
        assert [o["office_id"] for o in me["offices"]] == [OFFICE_A]
        own = await kari.get("/api/v1/console/alarms", params={"office_id": OFFICE_A})
        assert own.status_code == 200
        other = await kari.get("/api/v1/console/alarms", params={"office_id": OFFICE_B})
        assert other.status_code == 403
        cadence = f"/api/v1/offices/{OFFICE_A}/drill-cadence"
        header = {"X-Rollekort-Console": "1"}
        wrote = await kari.put(cadence, json={"every_months": 6}, headers=header)
        assert wrote.status_code == 200, wrote.text
        forged = await kari.put(cadence, json={"every_months": 3})  # another site's form
        assert forged.status_code == 403
    async with httpx.AsyncClient(base_url=running.base) as vera:
        await sign_in(vera, "vera")
        assert (await vera.get("/api/v1/whoami")).json()["role"] == "viewer"
        assert (await vera.get(f"/api/v1/offices/{OFFICE_A}/drills")).status_code == 200
        refused = await vera.put(cadence, json={"every_months": 12}, headers=header)
        assert refused.status_code == 403
        assert "viewer" in refused.json()["error"]["message"]
    async with httpx.AsyncClient(base_url=running.base) as ola:
        await sign_in(ola, "ola")
        me = (await ola.get("/api/v1/whoami")).json()
        assert me["role"] == "admin"
        assert [o["office_id"] for o in me["offices"]] == [OFFICE_A, OFFICE_B]


async def test_a_person_without_a_mapped_group_gets_no_session(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as nobody:
        done = await sign_in(nobody, "nobody")
        assert done.status_code == 403
        assert "no role" in done.text
        assert (await nobody.get("/api/v1/whoami")).status_code == 401


async def test_sign_out_ends_the_session_here_and_at_the_provider(
    running: Running, issuer: str
) -> None:
    async with httpx.AsyncClient(base_url=running.base) as kari:
        await sign_in(kari, "kari")
        stolen = kari.cookies.get("rollekort_session")
        assert stolen
        out = await kari.post("/auth/logout", headers={"X-Rollekort-Console": "1"})
        redirect = out.json()["redirect"]
        assert redirect.startswith(f"{issuer}/oauth2/end_session?id_token_hint=")
        assert "post_logout_redirect_uri=" in redirect
        assert (await kari.get("/api/v1/whoami")).status_code == 401
    async with httpx.AsyncClient(base_url=running.base) as thief:
        thief.cookies.set("rollekort_session", stolen)
        assert (await thief.get("/api/v1/whoami")).status_code == 401


async def test_a_callback_in_another_browser_is_refused(running: Running) -> None:
    async with (
        httpx.AsyncClient(base_url=running.base) as victim,
        httpx.AsyncClient(base_url=running.base) as attacker,
    ):
        start = await attacker.get("/auth/login")
        callback = await approve(attacker, start.headers["location"], "ola")
        # The attacker makes the victim's browser finish the attacker's sign-in (login CSRF).
        forced = await victim.get(callback)
        assert forced.status_code == 400
        assert (await victim.get("/api/v1/whoami")).status_code == 401


async def test_bearer_tokens_still_work_beside_sign_in(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as machine:
        config = (await machine.get("/auth/config")).json()
        assert config["oidc"] is True
        assert (await machine.get("/api/v1/whoami")).status_code == 401
        token = {"Authorization": "Bearer nope"}
        assert (await machine.get("/api/v1/whoami", headers=token)).status_code == 401


async def test_an_expired_id_token_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    with provider(token_max_age=timedelta(minutes=-5)) as stale_issuer:
        async for running in _running(tmp_path, sqlite_url, stale_issuer):
            async with httpx.AsyncClient(base_url=running.base) as kari:
                done = await sign_in(kari, "kari")
                assert done.status_code == 401
                assert "expired_token" in done.text
                assert "rollekort_session" not in done.headers.get("set-cookie", "")
                assert (await kari.get("/api/v1/whoami")).status_code == 401
