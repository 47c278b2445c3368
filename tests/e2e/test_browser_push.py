"""The locked phone in real Chromium (issue 17): the handset page is opened once (pairing its
service worker with the token) and closed; an offer then reaches the service worker only as a
push, delivered through the DevTools protocol (`ServiceWorker.deliverPushMessage`). It shows a
lock-screen notification with Accept / Decline, confirms the push, and an Accept from the
notification takes the role over HTTP; the timeline says it came by push.

Headless Chromium cannot subscribe to a vendor's push service here (no internet), so the test
stores a subscription made by the local push service for the handset, exactly as the page would
(`PUT /api/v1/push/subscription`), and hands each message the service pushed (decrypted by the
local push service with the subscription's keys) to the service worker through CDP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.button import press
from simulator.push_service import LocalPushService, PhoneKeys, local_push_service
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    HANDSET,
    TIMEOUT_MS,
    chromium,
    require_browser,
)
from tests.e2e.harness import Handset, Running, office_file, service, settings_for
from tests.e2e.test_push import COORDINATOR, bearer, phones, timeline, wait_event

NOTIFICATIONS = """() => self.registration.getNotifications().then((ns) => ns.map((n) => ({
  title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.action), data: n.data,
})))"""
CLICK = """(tag) => self.registration.getNotifications().then((ns) => {
  const note = ns.find((n) => n.tag === tag);
  const click = { notification: note, action: 'accept' };
  self.dispatchEvent(new NotificationEvent('notificationclick', click));
  return !!note;
})"""


@pytest.fixture
async def pushing(
    tmp_path: Path, sqlite_url: str
) -> AsyncIterator[tuple[Running, LocalPushService]]:
    async with local_push_service() as pushes:
        settings = settings_for(
            "embedded", sqlite_url, config=office_file(tmp_path), push_insecure_endpoints=True
        )
        async with service(settings) as running:
            yield running, pushes


async def registration_id(cdp: Any, scope: str) -> str:
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def updated(params: dict[str, Any]) -> None:
        for reg in params["registrations"]:
            if reg["scopeURL"] == scope and not reg["isDeleted"] and not found.done():
                found.set_result(reg["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    await cdp.send("ServiceWorker.enable")
    async with asyncio.timeout(15):
        return await found


async def notifications(worker: Any, tag: str) -> list[dict[str, Any]]:
    """The service worker's notifications with this tag, once there is one."""
    async with asyncio.timeout(15):
        while True:
            shown = [n for n in await worker.evaluate(NOTIFICATIONS) if n["tag"] == tag]
            if shown:
                return shown
            await asyncio.sleep(0.1)


async def deliver(cdp: Any, origin: str, reg: str, pushes: LocalPushService, phone: PhoneKeys,
                  **match: Any) -> dict[str, Any]:  # fmt: skip
    """What the service pushed to this phone, handed to its service worker as the browser's
    push service would."""
    message = (await pushes.wait_for(phone, **match)).message
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": reg, "data": json.dumps(message)},
    )
    return message


async def test_a_push_to_a_closed_page_shows_a_notification_whose_accept_takes_the_role(
    pushing: tuple[Running, LocalPushService], tmp_path: Path
) -> None:
    running, pushes = pushing
    origin = running.base
    async with require_browser()() as p:
        # a profile on disk: Chromium has no Push API in an incognito-like context
        context = await p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport=HANDSET,
            permissions=["notifications"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        await page.goto(f"{origin}/handset?token=demo-guard")
        await page.get_by_test_id("person-name").wait_for()
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        # the token is left for the service worker, and the page says whether pushes are on
        await page.wait_for_function(
            "caches.open('rollekort-handset-token').then((c) => c.match('/handset-token'))"
            ".then((r) => r && r.text()).then((t) => t === 'demo-guard')"
        )
        await page.close()  # the phone goes into the pocket

        blank = await context.new_page()  # a DevTools session outside the handset's page
        cdp = await context.new_cdp_session(blank)
        reg = await registration_id(cdp, f"{origin}/handset")
        phone, subscription = pushes.subscribe()
        async with httpx.AsyncClient(base_url=origin) as http:
            r = await http.put(
                "/api/v1/push/subscription", json=subscription, headers=bearer("demo-guard")
            )
            assert r.status_code == 204
            await deliver(cdp, origin, reg, pushes, phone, kind="check")
            async with asyncio.timeout(15):  # the service worker confirmed it: reachable
                while True:
                    rows = (
                        await http.get("/api/v1/offices/demo/reachability", headers=COORDINATOR)
                    ).json()
                    if any(r["handset_id"] == "hs-gro" and r["reach"] == "push" for r in rows):
                        break
                    await asyncio.sleep(0.1)

        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await deliver(cdp, origin, reg, pushes, phone, kind="offer", role_id="guard")
        alarm_id = offer["alarm_id"]
        reached = await wait_event(running, alarm_id, "OfferReached", person_id="gro")
        assert reached["data"]["channel"] == "push"  # the receipt came from the service worker

        worker = context.service_workers[0]
        tag = f"offer:{alarm_id}:guard"
        shown = await notifications(worker, tag)
        assert shown[0]["title"] == "AKUTT: Publikumsmottak"
        assert shown[0]["body"].startswith("Vekter")
        assert shown[0]["actions"] == ["accept", "decline"]
        assert not [p for p in context.pages if "/handset" in p.url]  # no page was opened

        assert await worker.evaluate(CLICK, tag)
        accepted = await wait_event(running, alarm_id, "RoleAccepted", role_id="guard")
        assert accepted["data"]["via"] == "push" and accepted["actor"] == "person:gro"
        held = await notifications(worker, f"held:{alarm_id}")  # "you have the role"
        assert held[0]["body"] == "Vekter · Publikumsmottak"
        types = [e["type"] for e in await timeline(running, alarm_id)]
        assert types.index("OfferReached") < types.index("RoleAccepted")
        await context.close()


async def test_the_console_shows_how_each_phone_is_reached_and_a_test_push_comes_back(
    pushing: tuple[Running, LocalPushService],
) -> None:
    from playwright.async_api import expect

    running, pushes = pushing
    async with phones(running, pushes, "per"), Handset.connect(running, "demo-leader") as lise:
        await lise.expect("welcome")
        async with chromium() as browser:
            page = await (await browser.new_context(viewport=DESKTOP)).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{running.base}/console?token=demo-coordinator")
            await page.get_by_test_id("office-link").click()
            panel = page.get_by_test_id("phones-panel")
            await expect(panel.get_by_role("heading", name="Telefoner")).to_be_visible()
            per = panel.locator('[data-testid="phone-row"][data-handset-id="hs-per"]')
            await expect(per.get_by_test_id("phone-reach")).to_have_text("via push")
            leader = panel.locator('[data-testid="phone-row"][data-handset-id="hs-lise"]')
            await expect(leader.get_by_test_id("phone-reach")).to_have_text("tilkoblet")
            await expect(leader.get_by_test_id("test-push")).to_have_count(0)  # no subscription
            await per.get_by_test_id("test-push").click()
            status = panel.get_by_test_id("phones-status")
            await expect(status).to_contain_text("bekreftet testvarselet")
            assert errors == []
