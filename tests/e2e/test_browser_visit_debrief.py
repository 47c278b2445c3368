"""Req. 37 in real Chromium: the evaluation after an outreach visit feeds the debrief. Per is out
on a home visit and presses panic; Lise takes the leader role and gives the all-clear; Per checks
out with a short evaluation. The debrief the alarm opened shows the visit and, before the office's
own review, what Per wrote. Skipped without chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import check_accessible, expect, require_browser
from tests.e2e.harness import Handset, service, settings_for
from tests.e2e.test_browser_debrief import console_page
from tests.e2e.test_learning_cases import COORDINATOR, PER, now, with_outreach_device

pytestmark = pytest.mark.timeout(180)
NOTE = "Brukeren ble urolig da vi nevnte vedtaket; neste gang går vi to."


async def test_the_workers_evaluation_after_the_visit_is_in_the_alarms_debrief(
    tmp_path: Path, sqlite_url: str, browser: Any
) -> None:
    require_browser()
    settings = settings_for("embedded", sqlite_url, config=with_outreach_device(tmp_path))
    async with (
        service(settings) as running,
        httpx.AsyncClient(base_url=running.base, headers=PER) as per,
        httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as coordinator,
    ):
        end = (now() + timedelta(hours=1)).isoformat()
        body = {"where": "Hjemmebesøk, Storgata 1", "planned_end": end, "grace_s": 60}
        started = await per.post("/api/v1/offices/demo/outreach", json=body)
        assert started.status_code == 201, started.text
        path = f"/api/v1/offices/demo/outreach/{started.json()['session_id']}"
        async with Handset.connect(running, "demo-leader") as lise:
            await lise.expect("welcome")
            assert (await per.post(f"{path}/panic")).json()["alarm_reason"] == "panic"
            offer = await lise.expect("alarm", offer__role_id="leader")
            alarm_id = offer["alarm_id"]
            await lise.send(type="accept", alarm_id=alarm_id, role_id="leader")
            await lise.send(type="all_clear", alarm_id=alarm_id)
            await lise.expect("alarm_closed", alarm_id=alarm_id)
        done = await per.post(f"{path}/checkout", json={"note": NOTE})
        assert done.status_code == 200, done.text

        listed = (await coordinator.get("/api/v1/offices/demo/debriefs")).json()
        [debrief] = [d for d in listed if d["alarm"]["alarm_id"] == alarm_id]
        visit = debrief["visit"]
        assert (visit["reason"], visit["evaluation"]) == ("panic", NOTE)
        assert visit["where"] == "Hjemmebesøk, Storgata 1" and visit["checked_out_at"]

        page = await console_page(
            browser, running, "demo-coordinator", f"#/debrief/{debrief['debrief_id']}"
        )
        section = page.get_by_test_id("debrief-visit")
        await expect(section.get_by_test_id("visit-evaluation")).to_have_text(NOTE)
        await expect(section.get_by_test_id("visit-line")).to_contain_text(
            "Alarm utløst fra besøket"
        )
        await expect(section.get_by_test_id("visit-where")).to_have_text("Hjemmebesøk, Storgata 1")
        await check_accessible(page, "debrief with the visit's evaluation")
        assert not page.errors
