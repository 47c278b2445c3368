"""The coordinator's pages after an alarm and across offices, in a real browser against a real
service (issue 16): the debrief of a real alarm (what happened / what we learn / what must change,
report references, after-care for everyone involved including the presser, closing), the
statistics and outreach of an office (per office and role, never per person), and the county view
of many offices' readiness, sortable. axe-core checks each page; screenshots for the README."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.button import press
from tests.e2e.browser import (
    DESKTOP,
    TIMEOUT_MS,
    check_accessible,
    chromium,
    expect,
    require_browser,
    screenshot_dir,
    shoot,
)
from tests.e2e.county import COUNTY_TOKEN, OFFICES, county_folder
from tests.e2e.harness import Handset, Running, service, settings_for

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require_browser()
    async with chromium() as b:
        yield b


async def console_page(browser: Any, running: Running, token: str, hash_: str = "") -> Any:
    page = await (await browser.new_context(viewport=DESKTOP)).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    await page.goto(f"{running.base}/console?token={token}{hash_}")
    await expect(page.get_by_test_id("whoami")).to_be_visible()
    return page


async def real_alarm_from_the_worn_trigger(running: Running) -> str:
    """Kari presses her worn trigger; Lise and Gro take their roles; Lise gives the all clear."""
    async with (
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-guard") as guard,
    ):
        await leader.expect("welcome")
        await guard.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "worn-1", "press", "hold")
        offer = await leader.expect("alarm")
        alarm_id = str(offer["alarm_id"])
        await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
        await guard.expect("alarm")
        await guard.send(type="accept", alarm_id=alarm_id, role_id="guard")
        while True:  # until the leader's handset shows the guard role taken
            update = await leader.expect("alarm_update", alarm_id=alarm_id)
            if any(r.get("holder_id") == "gro" for r in update["roles"]):
                break
        await leader.send(type="all_clear", alarm_id=alarm_id)
        await leader.expect("alarm_closed", alarm_id=alarm_id)
    return alarm_id


async def test_the_debrief_of_a_real_alarm_and_the_offices_statistics(
    sqlite_url: str, browser: Any, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    async with service(settings_for("embedded", sqlite_url)) as running:
        alarm_id = await real_alarm_from_the_worn_trigger(running)
        page = await console_page(browser, running, "demo-coordinator", f"#/alarm/{alarm_id}")
        await page.get_by_test_id("open-debrief-page").click()
        status = page.get_by_test_id("debrief-status")
        await expect(status).to_have_attribute("data-status", "open")
        await expect(page.get_by_test_id("free-text-notice")).to_contain_text("Skriv ikke navn")

        # Everyone involved is listed for after-care: the presser (Kari), the role holders.
        rows = page.get_by_test_id("aftercare-row")
        ids = await rows.evaluate_all("els => els.map((e) => e.dataset.personId)")
        assert {"kari", "lise", "gro"} <= set(ids), ids
        await expect(page.get_by_test_id("missing-aftercare")).to_contain_text("Kari (mottak)")

        await page.get_by_test_id("debrief-what_happened").fill("Bruker ble truende i mottaket.")
        await page.get_by_test_id("debrief-what_we_learn").fill("Vekteren var raskt på plass.")
        await page.get_by_test_id("debrief-what_we_change").fill("Øve på samtalerommet.")
        await page.get_by_test_id("add-reference").click()
        await page.get_by_test_id("reference-ref").fill("Avvik 2026-113")
        await page.get_by_test_id("save-debrief").click()
        await expect(page.get_by_test_id("debrief-message")).to_have_text("Lagret.")

        # Closing is refused while someone has no after-care, and says so in the page's words.
        await page.get_by_test_id("close-debrief").click()
        await expect(page.get_by_test_id("debrief-error")).to_contain_text("Kan ikke lukke")
        await check_accessible(page, "console debrief, open")
        await shoot(page, shots / "console-debrief.png", full_page=True)
        for person in ids:
            await page.get_by_test_id("aftercare-person").select_option(person)
            await page.get_by_test_id("support-colleague_talk").check()
            await page.get_by_test_id("save-aftercare").click()
            row = page.locator(f'[data-testid="aftercare-row"][data-person-id="{person}"]')
            await expect(row).to_have_attribute("data-missing", "false")
        await expect(page.get_by_test_id("missing-aftercare")).to_contain_text("kan lukkes")
        await page.get_by_test_id("close-debrief").click()
        await expect(status).to_have_attribute("data-status", "closed")
        await expect(page.get_by_test_id("debrief-what_happened")).to_be_disabled()

        async with httpx.AsyncClient(base_url=running.base) as http:
            stored = await http.get(
                f"/api/v1/debriefs/d-{alarm_id.removeprefix('a-')}",
                headers={"Authorization": "Bearer demo-coordinator"},
            )
        body = stored.json()
        assert body["status"] == "closed" and body["what_we_change"] == "Øve på samtalerommet."
        assert [r["ref"] for r in body["references"]] == ["Avvik 2026-113"]
        assert {p["person_id"] for p in body["people"] if p["offered"]} >= {"kari", "lise", "gro"}

        await statistics_per_office_and_role(page)
        assert page.errors == []


async def statistics_per_office_and_role(page: Any) -> None:
    await page.goto(page.url.split("#")[0] + "#/office/demo")
    await page.get_by_test_id("learning-link").click()
    stats = page.get_by_test_id("statistics")
    await expect(stats.get_by_test_id("stat-alarms").get_by_test_id("real")).to_have_text("1")
    await expect(stats.get_by_test_id("stat-resolved").get_by_test_id("real")).to_have_text("1")
    leader = stats.locator('[data-testid="stats-role"][data-role-id="leader"][data-mode="real"]')
    await expect(leader).to_contain_text("leader")
    await expect(page.get_by_test_id("no-outreach")).to_be_visible()
    # Per office and role: no person's name anywhere on the page.
    text = await page.get_by_test_id("page-view").inner_text()
    names = ("Lise (leder)", "Gro (vekter)", "Kari (mottak)", "Per (vara)")
    assert not [n for n in names if n in text], text
    await check_accessible(page, "console statistics and outreach")


async def test_the_county_view_shows_many_offices_readiness_sortable(
    sqlite_url: str, browser: Any, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    settings = settings_for("embedded", sqlite_url, config=county_folder(tmp_path))
    async with service(settings) as running:
        county = {"Authorization": f"Bearer {COUNTY_TOKEN}"}
        async with httpx.AsyncClient(base_url=running.base, headers=county) as http:
            # NAV Nord has drilled (not overdue); the others never have.
            started = await http.post("/api/v1/offices/nord/drills", json={"realism": "soft"})
            assert started.status_code == 201, started.text
            ended = await http.post(f"/api/v1/offices/nord/drills/{started.json()['drill_id']}/end")
            assert ended.status_code == 200, ended.text
        # NAV Sør has its three handsets connected: better coverage than the rest.
        async with (
            Handset.connect(running, "demo-sor-leader") as a,
            Handset.connect(running, "demo-sor-guard") as b,
            Handset.connect(running, "demo-sor-deputy") as c,
        ):
            for h in (a, b, c):
                await h.expect("welcome")
            page = await console_page(browser, running, COUNTY_TOKEN)
            await page.get_by_test_id("county-link").click()
            rows = page.get_by_test_id("county-row")
            await expect(rows).to_have_count(len(OFFICES))
            order = "els => els.map((e) => e.dataset.officeId)"
            first = await rows.evaluate_all(order)
            assert first[-1] == "nord", first  # the only office not overdue comes last
            await shoot(page, shots / "console-county.png", full_page=True)
            nord = page.locator('[data-testid="county-row"][data-office-id="nord"]')
            await expect(nord.get_by_test_id("county-drill")).to_have_text("i rute")
            demo = page.locator('[data-testid="county-row"][data-office-id="demo"]')
            await expect(demo.get_by_test_id("county-drill")).to_have_text("aldri øvd")
            await expect(demo.get_by_test_id("county-card")).to_have_text("0 dager")
            await expect(demo.get_by_test_id("county-coverage")).to_contain_text("REDUSERT")
            await expect(demo.get_by_test_id("county-untested")).to_have_text("2")
            sor = page.locator('[data-testid="county-row"][data-office-id="sor"]')
            sor_reasons = int(
                await sor.get_by_test_id("county-coverage").get_attribute("data-value")
            )
            demo_reasons = int(
                await demo.get_by_test_id("county-coverage").get_attribute("data-value")
            )
            assert sor_reasons < demo_reasons

            await page.get_by_test_id("sort-office").click()
            assert await rows.evaluate_all(order) == ["demo", "nord", "sor", "vest"]
            header = page.get_by_test_id("sort-office").locator("xpath=..")
            await expect(header).to_have_attribute("aria-sort", "ascending")
            await page.get_by_test_id("sort-office").click()
            assert await rows.evaluate_all(order) == ["vest", "sor", "nord", "demo"]
            await page.get_by_test_id("sort-coverage").click()
            by_coverage = await rows.evaluate_all(order)
            assert by_coverage[-1] == "sor", by_coverage  # most reasons first, Sør the fewest
            await check_accessible(page, "console county view")
            assert page.errors == []
