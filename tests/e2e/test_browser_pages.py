"""More of the handset page and the console in a real browser: English, installability and a
lost connection (resume without a missed offer, the shell from the service worker's cache),
drill and test labels, and the console's sign-in. Skipped without chromium (see browser.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from simulator.button import press
from tests.e2e.browser import (
    DESKTOP,
    TIMEOUT_MS,
    check_accessible,
    expect,
    offer,
    open_handset,
    screenshot_dir,
    shoot,
)
from tests.e2e.harness import Running

pytestmark = pytest.mark.timeout(180)


async def test_handset_speaks_english_installs_and_shows_a_lost_connection(
    running: Running, browser: Any
) -> None:
    page = await open_handset(browser, running, "demo-leader")
    await page.get_by_test_id("lang-switch").click()
    await expect(page.get_by_test_id("conn-state")).to_contain_text("Connected")
    await expect(page.get_by_text("Standing roles")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.reload()
    await expect(page.get_by_test_id("idle")).to_have_text("No active alarms.")
    await expect(page.get_by_test_id("lang-switch")).to_have_text("Norsk")

    manifest = await (await page.request.get(f"{running.base}/static/manifest.webmanifest")).json()
    assert manifest["start_url"] == "/handset" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (await page.request.get(f"{running.base}{icon['src']}")).ok, icon
    scope = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{running.base}/handset"
    await page.reload()
    assert await page.evaluate("!!navigator.serviceWorker.controller")
    # the page's module has run and its socket is open before the test reaches into it
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")

    # The socket drops and a press comes meanwhile: after the reconnect the offer is there, once.
    await page.evaluate("window.rollekortHandset.state.ws.close()")
    await asyncio.to_thread(press, running.broker_url, "desk-1")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
    card = offer(page, "leader")
    await expect(card.get_by_test_id("accept")).to_have_text("Accept")
    await expect(card.get_by_test_id("role-title")).to_have_text(re.compile("^Offer: Leder"))
    await expect(page.get_by_test_id("alarm")).to_have_count(1)
    await expect(card).to_have_count(1)
    await card.get_by_test_id("accept").click()
    await expect(card.get_by_test_id("offer-status")).to_have_text("You hold this role.")

    # The service goes away: the page says so plainly and counts down to the next try, and a
    # reload still opens the page from the service worker's cache.
    running.server.should_exit = True
    conn = page.get_by_test_id("conn-state")
    await expect(conn).to_have_attribute("data-state", "reconnecting")
    await expect(conn).to_contain_text("Disconnected")
    await expect(page.get_by_test_id("reconnect-in")).to_contain_text("reconnecting in")
    await page.reload()
    await expect(page.get_by_test_id("token-form")).to_be_hidden()
    await expect(conn).to_have_attribute("data-state", re.compile("connecting|reconnecting"))
    await expect(page.get_by_test_id("lang-switch")).to_have_text("Norsk")
    assert page.errors == []


async def test_console_refuses_a_wrong_token_and_signs_out(running: Running, browser: Any) -> None:
    page = await (await browser.new_context(viewport=DESKTOP)).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{running.base}/console")
    await page.get_by_label("API-token").fill("not-a-token")
    await page.get_by_test_id("token-submit").click()
    await expect(page.get_by_test_id("sign-in-error")).to_have_text(
        "Tokenet ble ikke godtatt. Sjekk det og prøv igjen."
    )
    await check_accessible(page, "console sign-in")
    await page.get_by_label("API-token").fill("demo-coordinator")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("whoami")).to_have_attribute("data-role", "coordinator")
    await page.get_by_test_id("lang-switch").click()
    await expect(page.get_by_test_id("whoami")).to_have_text("Coordinator · NAV Demo")
    await expect(page.get_by_test_id("no-live")).to_have_text("No live alarms now.")
    await check_accessible(page, "console live, English")
    assert await page.evaluate("sessionStorage.getItem('rollekort.console.token')")
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("sign-in")).to_be_visible()
    await expect(page.get_by_label("API token")).to_be_empty()
    assert await page.evaluate("sessionStorage.getItem('rollekort.console.token')") is None


async def test_drills_and_tests_are_labelled_unmistakably(
    running: Running, browser: Any, tmp_path: Path
) -> None:
    """The demo office raises only real alarms, so the frames a drill and a button test would
    send are handed to the page's frame handler directly."""
    page = await open_handset(browser, running, "demo-guard")
    # Proposed extension, shown when a server sends it: the battery of one's own worn trigger.
    welcome = {
        "type": "welcome",
        "person": "Gro (vekter)",
        "person_id": "gro",
        "office_id": "demo",
        "standing_roles": [],
        "worn_triggers": [{"device_id": "worn-9", "battery": 15, "online": True}],
    }
    await page.evaluate("(f) => window.rollekortHandset.handleFrame(f)", welcome)
    battery = page.get_by_test_id("trigger-battery")
    await expect(battery).to_contain_text("LAVT BATTERI 15 %")
    status = {"type": "device_status", "device_id": "worn-9", "battery": 80, "online": True}
    await page.evaluate("(f) => window.rollekortHandset.handleFrame(f)", status)
    await expect(battery).to_have_text("Din utløser: worn-9 · batteri 80 %")
    for n, mode in enumerate(("drill", "test")):
        if mode == "test":
            await shoot(page, screenshot_dir(tmp_path) / "handset-drill.png")
        frame = {
            "type": "alarm",
            "alarm_id": f"a-{mode}",
            "event_seq": n + 1,
            "office_id": "demo",
            "level": "assist",
            "mode": mode,
            "raised_at": "2026-11-26T09:14:03+01:00",
            "location": {"id": "meeting-1", "name": "Samtalerom 1", "zone": "conversation_room"},
            "trigger": {"device_id": "worn-1", "kind": "worn", "holder": "Kari (mottak)"},
            "offer": {
                "role_id": "guard",
                "title": "Vekter",
                "stance": "approach",
                "steps": [{"n": 1, "text": "Gå til alarmstedet."}],
                "accept_within_s": 15,
                "leader": False,
            },
        }
        await page.evaluate("(f) => window.rollekortHandset.handleFrame(f)", frame)
    drill = page.locator('[data-testid="alarm"][data-mode="drill"]')
    await expect(drill.get_by_test_id("mode-label")).to_contain_text("ØVELSE – ikke reell alarm")
    test = page.locator('[data-testid="alarm"][data-mode="test"]')
    await expect(test.get_by_test_id("mode-label")).to_contain_text("TEST – ikke reell alarm")
    await expect(drill.get_by_test_id("holder")).to_have_text("Kari (mottak)")
    await expect(drill.get_by_test_id("trigger-kind")).to_have_text("Utløser på kroppen")
    await expect(drill.get_by_test_id("sound-state")).to_have_count(0)  # not a public zone
    await check_accessible(page, "handset drill")
    await page.get_by_test_id("lang-switch").click()
    await expect(drill.get_by_test_id("mode-label")).to_contain_text("DRILL – not a real alarm")
    await expect(test.get_by_test_id("mode-label")).to_contain_text("TEST – not a real alarm")


async def test_the_role_card_is_acknowledged_and_off_duty_gets_notices_not_roles(
    running: Running, browser: Any
) -> None:
    guard = await open_handset(browser, running, "demo-guard")
    panel = guard.get_by_test_id("ack-panel")
    await expect(panel).to_be_visible()
    await expect(guard.get_by_test_id("policy")).to_contain_text("Ingen forventes å gripe inn")
    await check_accessible(guard, "handset role card to acknowledge")
    await guard.get_by_test_id("acknowledge").click()
    await expect(panel).to_be_hidden()
    await expect(guard.get_by_test_id("ack-done")).to_have_text(
        re.compile(r"^Rollekort .+ er lest ✓$")
    )
    await guard.reload()
    await expect(guard.get_by_test_id("ack-done")).to_be_visible()  # the service remembers
    await expect(panel).to_be_hidden()

    duty = guard.get_by_test_id("duty-state")
    await expect(duty).to_have_text("Du er på vakt: du kan få roller.")
    await guard.get_by_test_id("duty-toggle").click()
    await expect(duty).to_have_attribute("data-on", "false")
    await expect(duty).to_have_text("Du er AV VAKT: du får varsler, men ingen roller.")
    await asyncio.to_thread(press, running.broker_url, "desk-1")
    alarm = guard.get_by_test_id("alarm")
    await expect(alarm).to_have_attribute("data-kind", "notice")
    await expect(alarm.get_by_test_id("location")).to_contain_text("Publikumsmottak")
    await expect(guard.get_by_test_id("offer")).to_have_count(0)

    await guard.get_by_test_id("duty-toggle").click()
    await expect(duty).to_have_attribute("data-on", "true")
    await expect(offer(guard, "guard")).to_have_attribute("data-status", "offered")
