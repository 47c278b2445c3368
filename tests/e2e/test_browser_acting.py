"""Req. 5 in real Chromium: Per is to act for Lise from tomorrow. The service's clock is moved
past the office's midnight while both handset pages sit idle, and without reconnecting Per's
idle screen says he is acting for Lise in the leader role and Lise's stops naming it.
Skipped without chromium."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.service import acting
from app.service.clock import SystemClock
from tests.conftest import DEMO_OFFICE
from tests.e2e.browser import chromium, expect, open_handset, require_browser
from tests.e2e.harness import service, settings_for

pytestmark = pytest.mark.timeout(180)
OSLO = ZoneInfo("Europe/Oslo")


class ShiftedClock(SystemClock):
    """The system clock moved forward by `offset` (timers are armed against the moved time)."""

    offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def office_with_delegation(tmp: Path, first: str, last: str) -> Path:
    text = DEMO_OFFICE.read_text("utf-8")
    cover = f"{{from_person: lise, to_person: per, from: {first}, to: {last}}}"
    text += f"\ndelegations:\n  - {cover}\n"
    path = tmp / "acting-office.yaml"
    path.write_text(text, "utf-8")
    return path


def standing(page: Any, role_id: str) -> Any:
    return page.locator(f'[data-testid="standing-role"][data-role-id="{role_id}"]')


async def test_the_acting_leaders_first_day_reaches_idle_screens_without_a_reconnect(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_browser()
    monkeypatch.setattr(acting, "CHECK_EVERY", timedelta(seconds=1))  # not a minute, in a test
    tomorrow = datetime.now(OSLO).date() + timedelta(days=1)
    config = office_with_delegation(tmp_path, str(tomorrow), str(tomorrow + timedelta(days=1)))
    clock = ShiftedClock()
    async with (
        service(settings_for("embedded", sqlite_url, config=config), clock=clock) as running,
        chromium() as browser,
    ):
        per = await open_handset(browser, running, "demo-deputy")
        lise = await open_handset(browser, running, "demo-leader")
        await expect(standing(lise, "leader")).to_have_count(1)
        await expect(standing(per, "leader")).to_have_count(1)  # his deputy role
        await expect(per.get_by_test_id("acting-for")).to_have_count(0)

        midnight = datetime.combine(tomorrow, time(0, 0, 5), OSLO)
        clock.offset = midnight - datetime.now(UTC)  # the office's next day begins
        await expect(standing(per, "leader").get_by_test_id("acting-for")).to_have_text(
            " (fungerer for Lise (leder) i dag)"
        )
        await expect(standing(lise, "leader")).to_have_count(0)  # away: not asked
        assert not per.errors and not lise.errors
