"""Req. 31 in real Chromium: readiness says how long the card in force has gone unreviewed, how
many staff have not acknowledged it and which required roles have nobody present; the county
view has a column of unbriefed staff and a totals row for the county. A year and more later (the
service's clock moved on), the card is due for review. Counts and role titles, never names.
Skipped without chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.service.clock import SystemClock
from tests.e2e.browser import check_accessible, expect, require_browser
from tests.e2e.county import COUNTY_TOKEN, OFFICES, county_folder
from tests.e2e.harness import Handset, service, settings_for
from tests.e2e.test_browser_debrief import console_page

pytestmark = pytest.mark.timeout(240)
PEOPLE = 4  # each county office is a copy of the demo office: four staff


class ShiftedClock(SystemClock):
    offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_readiness_and_the_county_show_card_age_unbriefed_staff_and_totals(
    sqlite_url: str, browser: Any, tmp_path: Path
) -> None:
    require_browser()
    clock = ShiftedClock()
    settings = settings_for("embedded", sqlite_url, config=county_folder(tmp_path))
    async with service(settings, clock=clock) as running:
        async with Handset.connect(running, "demo-nord-leader") as lise:
            await lise.expect("welcome")
            await lise.send(type="acknowledge")  # one in NAV Nord has read the card
            await lise.expect("acknowledged")
        headers = {"Authorization": f"Bearer {COUNTY_TOKEN}"}
        async with httpx.AsyncClient(base_url=running.base, headers=headers) as http:
            demo = (await http.get("/api/v1/offices/demo/readiness")).json()
            nord = (await http.get("/api/v1/offices/nord/readiness")).json()
        assert (demo["days_since_card_review"], demo["card_review_due"]) == (0, False)
        assert demo["card_version"] == "2026-11-01" and demo["unbriefed"] == PEOPLE
        assert nord["unbriefed"] == PEOPLE - 1
        assert set(demo["roles_unstaffed"]) == {"Leder", "Vekter", "Politikontakt"}

        page = await console_page(browser, running, COUNTY_TOKEN)
        await page.get_by_test_id("county-link").click()
        await expect(page.get_by_test_id("county-row")).to_have_count(len(OFFICES))
        row = page.locator('[data-testid="county-row"][data-office-id="nord"]')
        await expect(row.get_by_test_id("county-unbriefed")).to_have_text(str(PEOPLE - 1))
        totals = page.get_by_test_id("county-totals")
        await expect(totals.get_by_test_id("total-unbriefed")).to_have_text(
            str(len(OFFICES) * PEOPLE - 1)
        )
        await expect(totals.get_by_test_id("total-drill")).to_have_text(f"{len(OFFICES)} forfalt")
        await expect(totals.get_by_test_id("total-card")).to_have_text("eldste 0 dager")
        await expect(totals).to_contain_text(f"Fylket ({len(OFFICES)} kontorer)")
        await check_accessible(page, "county view with totals")

        clock.offset = timedelta(days=400)  # a year and more without a new version
        await page.goto(f"{running.base}/console?token={COUNTY_TOKEN}#/office/demo")
        panel = page.get_by_test_id("readiness-panel")
        review = panel.get_by_test_id("card-review")
        await expect(review).to_have_attribute("data-days", "400")
        await expect(review).to_contain_text("ikke gjennomgått på 400 dager")
        await expect(panel.get_by_test_id("unbriefed")).to_contain_text(f"{PEOPLE} ansatte")
        await expect(panel.get_by_test_id("roles-without-holder")).to_contain_text("Leder")
        await check_accessible(page, "readiness with the card due for review")
        assert not page.errors
