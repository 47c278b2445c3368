"""Req. 36 in real Chromium: an outreach alarm says where to go. Per is out on a home visit and
presses panic; Lise's handset shows the alarm naming Per as the one who is out and the visit's
planned place, not only the office device's place. Skipped without chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import check_accessible, expect, offer, open_handset, require_browser
from tests.e2e.harness import service, settings_for
from tests.e2e.test_learning_cases import PER, now, with_outreach_device

pytestmark = pytest.mark.timeout(180)
WHERE = "Hjemmebesøk, Storgata 1"


async def test_an_outreach_alarm_shows_the_worker_and_the_planned_place(
    tmp_path: Path, sqlite_url: str, browser: Any
) -> None:
    require_browser()
    settings = settings_for("embedded", sqlite_url, config=with_outreach_device(tmp_path))
    async with service(settings) as running:
        lise = await open_handset(browser, running, "demo-leader")
        async with httpx.AsyncClient(base_url=running.base, headers=PER) as per:
            end = (now() + timedelta(hours=1)).isoformat()
            body = {"where": WHERE, "planned_end": end, "grace_s": 60}
            started = await per.post("/api/v1/offices/demo/outreach", json=body)
            assert started.status_code == 201, started.text
            path = f"/api/v1/offices/demo/outreach/{started.json()['session_id']}"
            assert (await per.post(f"{path}/panic")).status_code == 200
        await expect(offer(lise, "leader")).to_have_attribute("data-status", "offered")
        card = lise.get_by_test_id("alarm")
        await expect(card.get_by_test_id("visit-where")).to_have_text(f"{WHERE} (Per (vara))")
        notice = lise.locator('[data-testid="notice"][data-kind="visit"]')
        await expect(notice).to_contain_text(f"Utealarm: Per (vara) er på {WHERE}")
        await check_accessible(lise, "outreach alarm with the planned place")
        assert not lise.errors
        await lise.reload()  # a handset that connects again is told the place again, once
        await expect(card.get_by_test_id("visit-where")).to_have_text(f"{WHERE} (Per (vara))")
        await expect(notice).to_have_count(1)
