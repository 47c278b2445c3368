"""Req. 40 in real Chromium: a receiver is silent where the public can hear it, by its own zone
too. Lise takes the pendant to the conversation room and presses it there (not a public zone);
Per's phone, checked in at the reception desk (public), only vibrates and says why, while Gro's,
checked in nowhere, may sound. Skipped without chromium."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from simulator.button import press
from tests.e2e.browser import check_accessible, expect, offer, open_handset
from tests.e2e.harness import Handset, Running

pytestmark = pytest.mark.timeout(180)


async def test_a_phone_checked_in_at_a_public_desk_only_vibrates_for_an_alarm_elsewhere(
    running: Running, browser: Any
) -> None:
    per = await open_handset(browser, running, "demo-deputy")
    gro = await open_handset(browser, running, "demo-guard")
    await per.get_by_test_id("place-select").select_option("reception")
    await per.get_by_test_id("check-in").click()
    await expect(per.get_by_test_id("place-state")).to_have_text("Sjekket inn: Publikumsmottak")
    async with Handset.connect(running, "demo-leader") as lise:
        await lise.expect("welcome")
        await lise.send(type="carry", device_id="worn-1", location_id="meeting-1")
        await lise.expect("places")
        await asyncio.to_thread(press, running.broker_url, "worn-1", "press", "hold")
        await expect(offer(per, "leader")).to_have_attribute("data-status", "offered")
        await expect(offer(gro, "guard")).to_have_attribute("data-status", "offered")

    here = per.get_by_test_id("alarm")
    await expect(here.get_by_test_id("location")).to_contain_text("Samtalerom 1")
    sound = here.get_by_test_id("sound-state")
    await expect(sound).to_have_attribute("data-sound", "muted-here")
    await expect(sound).to_contain_text("du er sjekket inn i et publikumsområde")
    alerts = await per.evaluate("window.rollekortHandset.alerts")
    assert alerts and alerts[0]["vibrated"] and alerts[0]["sound"] == "muted-here"
    await check_accessible(per, "offer muted by the receiver's zone")

    await expect(gro.get_by_test_id("alarm").get_by_test_id("sound-state")).to_have_count(0)
    gro_alerts = await gro.evaluate("window.rollekortHandset.alerts")
    assert gro_alerts and gro_alerts[0]["sound"] in ("played", "blocked")  # not muted
    assert not per.errors and not gro.errors
