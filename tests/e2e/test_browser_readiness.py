"""The readiness panel of the console's office page in a real browser (Playwright driving Debian's
chromium) against a real service on loopback: coverage and a drill overdue (a monthly cadence and
no drill yet), a drill started from the panel, a press that shows as a drill on the live list,
the drill ended and its scorecard (time to first accept, roles nobody took; roles, never
persons). Accessibility (names, focus, contrast) is checked on the way. Skipped without
chromium (see browser.py)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from simulator.button import press
from tests.e2e.browser import (
    DESKTOP,
    TIMEOUT_MS,
    check_accessible,
    expect,
    focused,
)
from tests.e2e.harness import Handset, Running

pytestmark = pytest.mark.timeout(180)
COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


async def test_readiness_shows_coverage_an_overdue_drill_and_a_drills_scorecard(
    running: Running, browser: Any
) -> None:
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        cadence = await http.put("/api/v1/offices/demo/drill-cadence", json={"every_months": 1})
        assert cadence.status_code == 200, cadence.text
        people = (await http.get("/api/v1/offices/demo/people")).json()
        coverage = (await http.get("/api/v1/offices/demo/coverage")).json()

    async with Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        page = await (await browser.new_context(viewport=DESKTOP)).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{running.base}/console?token=demo-coordinator")
        await page.get_by_test_id("office-link").click()
        panel = page.get_by_test_id("readiness-panel")
        await expect(panel.get_by_role("heading", name="Beredskap")).to_be_visible()

        # Coverage as the service says it, and the drill overdue (monthly, none yet).
        status = panel.get_by_test_id("coverage-status")
        await expect(status).to_have_attribute("data-status", re.compile("^(ok|degraded)$"))
        await expect(status).to_have_text(re.compile("^(OK|REDUSERT)$"))
        reasons = panel.get_by_test_id("coverage-reason")
        if await status.get_attribute("data-status") == "degraded":
            await expect(reasons.first).to_be_visible()  # each reason spelled out
        else:
            await expect(reasons).to_have_count(0)
        await expect(panel.get_by_test_id("untested-device")).to_have_count(
            len(coverage["untested"])
        )
        overdue = panel.get_by_test_id("drill-overdue")
        await expect(overdue).to_contain_text("Øvelse er forfalt")
        await expect(panel.get_by_test_id("drill-cadence")).to_have_text("Øvelse hver 1. måned.")
        await expect(panel.get_by_test_id("no-drills")).to_be_visible()
        await check_accessible(page, "readiness with a drill overdue")

        # Start the drill from the keyboard: the focus moves to "End drill", drawn.
        start = panel.get_by_test_id("drill-start")
        await expect(start).to_have_accessible_name(re.compile("^Start øvelse i 30 minutter"))
        await start.focus()
        await page.keyboard.press("Enter")
        await expect(panel.get_by_test_id("drill-open")).to_contain_text("Øvelse pågår til")
        await expect(panel.get_by_test_id("readiness-status")).to_contain_text("Øvelsen er startet")
        await expect(overdue).to_have_count(0)
        now = await focused(page)
        assert now["testid"] == "drill-end" and now["matchesFocusVisible"] and now["outline"]
        await expect(panel.get_by_test_id("scorecard")).to_have_attribute("data-open", "true")
        await check_accessible(page, "readiness with a drill open")

        # A press while the drill is open: a drill on the live list.
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await leader.expect("alarm", offer__role_id="leader")
        assert offer["mode"] == "drill"
        await page.get_by_test_id("home").click()
        card = page.locator(f'[data-testid="alarm-row"][data-alarm-id="{offer["alarm_id"]}"]')
        await expect(card.get_by_test_id("mode-label")).to_have_attribute("data-mode", "drill")
        await expect(card.get_by_test_id("mode-label")).to_have_text("ØVELSE")
        await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        await leader.send(type="all_clear", alarm_id=offer["alarm_id"])
        await leader.expect("alarm_closed", alarm_id=offer["alarm_id"])

        # End the drill: its scorecard, roles only.
        await page.get_by_test_id("office-link").click()
        end = panel.get_by_test_id("drill-end")
        await expect(end).to_have_accessible_name("Avslutt øvelsen nå")
        await end.click()
        await expect(panel.get_by_test_id("readiness-status")).to_have_text("Øvelsen er avsluttet.")
        row = panel.get_by_test_id("scorecard").first
        await expect(row).to_have_attribute("data-open", "false")
        await expect(row.get_by_test_id("sc-alarms")).to_have_text("1")
        await expect(row.get_by_test_id("sc-first-accept")).to_have_text(re.compile(r"\d"))
        await expect(row.get_by_test_id("sc-not-taken")).to_have_text("guard, police-contact")
        await expect(panel.get_by_test_id("drill-start")).to_be_visible()
        await expect(panel.get_by_test_id("last-drill")).to_contain_text("Siste øvelse:")
        await expect(panel.get_by_test_id("drill-due")).to_contain_text("Neste øvelse innen")
        await expect(panel.get_by_test_id("open-debriefs")).to_have_text("Ingen åpne.")
        text = await panel.inner_text()
        for person in people:
            assert person["name"] not in text, person
        await check_accessible(page, "readiness with a scorecard")

        await page.get_by_test_id("lang-switch").click()
        await expect(panel.get_by_role("heading", name="Readiness")).to_be_visible()
        await expect(panel.get_by_test_id("drill-start")).to_have_text("Start drill (30 min)")
        assert errors == []
