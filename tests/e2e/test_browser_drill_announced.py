"""Req. 12 in real Chromium: NAV and the child-welfare office next door share their alarms. When
NAV starts a drill, the neighbour's idle handset is told at once, before any drill alarm, that
NAV's alarms until the drill's end are drills, and a handset that connects during the drill is
told as it connects; NAV's own handsets are not (they see the label on each alarm). Skipped
without chromium."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import check_accessible, expect, open_handset, require_browser
from tests.e2e.harness import Handset, service, settings_for
from tests.e2e.test_cross_agency import building

pytestmark = pytest.mark.timeout(180)
COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


async def test_a_drill_is_announced_to_the_neighbouring_office_before_its_alarms(
    tmp_path: Path, sqlite_url: str, browser: Any
) -> None:
    require_browser()
    settings = settings_for("embedded", sqlite_url, config=building(tmp_path))
    async with service(settings) as running, Handset.connect(running, "demo-leader") as nav:
        await nav.expect("welcome")
        bv = await open_handset(browser, running, "demo-bv-leader")
        async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
            started = await http.post("/api/v1/offices/demo/drills", json={"duration_min": 30})
            assert started.status_code == 201, started.text
        notice = bv.locator('[data-testid="notice"][data-kind="drill_announced"]')
        await expect(notice).to_contain_text("NAV Demo har ØVELSE til kl.")
        await expect(notice).to_contain_text("ØVELSE hos naboen")
        await check_accessible(bv, "handset with a neighbour's drill announced")
        assert not [f for f in nav.inbox if f.get("kind") == "drill_announced"]
        assert not bv.errors
        async with Handset.connect(running, "demo-bv-guard") as later:  # connects in the window
            await later.expect("welcome")
            told = await later.expect("notice", kind="drill_announced")
            until = datetime.fromisoformat(told["until"])
            assert told["office_id"] == "demo"
            assert until == datetime.fromisoformat(started.json()["planned_end"])
