"""Hardening of the HTTP edge (issue 12, hole 6): security headers on every response, pages that
work under that policy in Chromium (no violation, no inline code) and cannot be framed, no
/docs page pulling a CDN script onto the origin, and /metrics only for its scraper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.browser import DESKTOP, TIMEOUT_MS, chromium, expect, open_handset, require_browser
from tests.e2e.harness import Running, service, settings_for

PATHS = [
    "/handset",
    "/console",
    "/static/handset.js",
    "/api/v1/alarms",  # 401
    "/healthz",
    "/openapi.json",
    "/no-such-page",  # 404
]


@pytest.fixture
async def running(sqlite_url: str) -> AsyncIterator[Running]:
    async with service(settings_for("embedded", sqlite_url, metrics_token="scrape-me")) as running:
        yield running


async def test_every_response_carries_the_security_headers(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        for path in PATHS:
            headers = (await http.get(path)).headers
            csp = headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in csp, path
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert headers.get("x-content-type-options") == "nosniff", path
            assert headers.get("referrer-policy") == "no-referrer", path
            assert headers.get("x-frame-options") == "DENY", path


async def test_no_docs_page_but_the_openapi_document(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        assert (await http.get("/docs")).status_code == 404
        assert (await http.get("/redoc")).status_code == 404
        assert (await http.get("/openapi.json")).json()["info"]["title"] == "Rollekort"


async def test_metrics_answer_only_the_scraper(running: Running) -> None:
    app = running.server.config.app
    remote = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))  # a phone on the LAN
    async with httpx.AsyncClient(transport=remote, base_url="http://rollekort") as http:
        assert (await http.get("/metrics")).status_code == 403
        wrong = {"Authorization": "Bearer guess"}
        assert (await http.get("/metrics", headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer scrape-me"}
        scraped = await http.get("/metrics", headers=right)
        assert scraped.status_code == 200
        assert 'rollekort_coverage_degraded{office_id="demo"} 1.0' in scraped.text
    async with httpx.AsyncClient(base_url=running.base) as http:  # loopback, but a token is set
        assert (await http.get("/metrics")).status_code == 403


async def test_without_a_token_metrics_answer_loopback_only(sqlite_url: str) -> None:
    async with service(settings_for("embedded", sqlite_url)) as running:
        remote = httpx.ASGITransport(app=running.server.config.app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=remote, base_url="http://rollekort") as http:
            assert (await http.get("/metrics")).status_code == 403
        async with httpx.AsyncClient(base_url=running.base) as http:
            assert (await http.get("/metrics")).status_code == 200


async def test_pages_work_under_the_policy_and_cannot_be_framed(running: Running) -> None:
    require_browser()
    async with chromium() as browser:
        violations: list[str] = []
        page = await open_handset(browser, running, "demo-leader")  # waits for "connected"
        await page.evaluate(
            "document.addEventListener('securitypolicyviolation', e => "
            "window.__csp = (window.__csp || []).concat(e.violatedDirective))"
        )
        await page.reload()
        await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
        violations += await page.evaluate("window.__csp || []")
        assert page.errors == []
        console = await (await browser.new_context(viewport=DESKTOP)).new_page()
        console.set_default_timeout(TIMEOUT_MS)
        messages: list[str] = []
        console.on("console", lambda m: messages.append(m.text))
        await console.goto(f"{running.base}/console")
        await console.get_by_label("API-token").fill("demo-coordinator")
        await console.get_by_test_id("token-submit").click()
        await expect(console.get_by_test_id("whoami")).to_have_attribute("data-role", "coordinator")
        # another site framing the console: the browser refuses to render it
        framer: Any = await (await browser.new_context()).new_page()
        refused: list[str] = []
        framer.on("console", lambda m: refused.append(m.text))
        await framer.set_content(f'<iframe src="{running.base}/console"></iframe>')
        await framer.wait_for_timeout(1000)
        frame = framer.frames[-1]
        assert await frame.locator("[data-testid=token-submit]").count() == 0
    csp_messages = [m for m in messages if "Content Security Policy" in m]
    assert violations == [] and csp_messages == [], (violations, csp_messages)
    assert any("frame-ancestors" in m for m in refused), refused
