"""The console in a real browser (Playwright driving Debian's chromium) signing in through a
real OpenID provider on loopback (tests/e2e/oidc_provider.py): the console offers the provider,
the person approves at the provider's page, comes back signed in as the role the mapping gives
their group, and signing out ends the session here and at the provider. Skipped without
chromium (see browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from simulator.load import generate
from tests.e2e.browser import DESKTOP, TIMEOUT_MS, chromium, expect, require_browser
from tests.e2e.harness import Running, service, settings_for
from tests.e2e.oidc_provider import CLIENT_ID, OFFICE_A, mapping_file, provider

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def issuer() -> Iterator[str]:
    require_browser()
    with provider() as url:
        yield url


@pytest.fixture
async def running(tmp_path: Path, sqlite_url: str, issuer: str) -> AsyncIterator[Running]:
    folder = tmp_path / "offices"
    folder.mkdir()
    generate(folder, 2, 1)
    settings = settings_for(
        "embedded",
        sqlite_url,
        config=folder,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="a-confidential-client",
        oidc_mapping=mapping_file(tmp_path),
        oidc_label="Testetaten",
    )
    async with service(settings) as running:
        yield running


async def test_the_console_signs_in_and_out_through_the_provider(
    running: Running, issuer: str
) -> None:
    async with chromium() as browser:
        context = await browser.new_context(viewport=DESKTOP)
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{running.base}/console")
        button = page.get_by_test_id("oidc-sign-in")
        await expect(button).to_have_text("Logg inn med Testetaten")
        await button.click()
        await page.wait_for_url(f"{issuer}/**")  # the provider's own sign-in page
        await page.fill("input[name=sub]", "kari")
        await page.get_by_role("button", name="Authorize").click()
        await page.wait_for_url(f"{running.base}/console**")
        who = page.get_by_test_id("whoami")
        await expect(who).to_have_attribute("data-role", "coordinator")
        await expect(page.get_by_test_id("live-view")).to_be_visible()
        cookies = {c["name"]: c for c in await context.cookies(running.base)}
        session = cookies["rollekort_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        me = await page.evaluate("fetch('/api/v1/whoami').then(r => r.json())")
        assert [o["office_id"] for o in me["offices"]] == [OFFICE_A]

        await page.get_by_test_id("sign-out").click()
        await page.wait_for_url(f"{issuer}/oauth2/end_session**")  # the provider's logout
        await page.get_by_role("button", name="End session").click()
        await page.wait_for_url(f"{running.base}/console**")
        await expect(page.get_by_test_id("oidc-sign-in")).to_be_visible()
        await expect(page.get_by_test_id("whoami")).to_be_hidden()
        async with httpx.AsyncClient(base_url=running.base) as replay:
            replay.cookies.set("rollekort_session", session["value"])
            assert (await replay.get("/api/v1/whoami")).status_code == 401
        assert errors == []
