"""The presser and the people who come, in real Chromium: Lise checks in at the reception desk
on her handset page, presses its button, and reads quietly on her own screen what to do, then
that help is coming and that it is there; the guard taps "I am there" and "police called" on
his. Skipped without chromium."""

from __future__ import annotations

import asyncio
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


async def test_the_presser_checks_in_presses_and_hears_help_coming_and_arriving(
    running: Running, browser: Any, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    console = await (await browser.new_context(viewport=DESKTOP)).new_page()
    console.set_default_timeout(TIMEOUT_MS)
    await console.goto(f"{running.base}/console?token=demo-coordinator")
    lise = await open_handset(browser, running, "demo-leader")
    gro = await open_handset(browser, running, "demo-guard")

    await expect(lise.get_by_test_id("place-state")).to_contain_text("Ikke sjekket inn")
    await lise.get_by_test_id("place-select").select_option("reception")
    await lise.get_by_test_id("check-in").click()
    await expect(lise.get_by_test_id("place-state")).to_have_text("Sjekket inn: Publikumsmottak")
    await check_accessible(lise, "handset checked in")

    await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
    card = lise.get_by_test_id("presser-card")
    await expect(card).to_have_attribute("data-state", "received")
    await expect(lise.get_by_test_id("presser-text")).to_contain_text("Alarmen er mottatt.")
    await expect(offer(lise, "leader")).to_have_count(0)  # never asked in her own alarm
    live = console.get_by_test_id("live-list").get_by_test_id("alarm-row")
    await expect(live.get_by_test_id("presser")).to_have_text(
        "Trykket av: Lise (leder) (innsjekket)"
    )
    await expect(live.get_by_test_id("police-line")).to_have_text(
        "Politiet er IKKE varslet av Rollekort: ring 112."
    )

    await offer(gro, "guard").get_by_test_id("accept").click()
    await expect(card).to_have_attribute("data-state", "accepted")
    await expect(lise.get_by_test_id("presser-text")).to_have_text(
        "Hjelp er på vei: Gro (vekter) kommer."
    )
    police = gro.get_by_test_id("police-line")
    await expect(police).to_have_text("Politiet er IKKE varslet av Rollekort: ring 112.")
    await check_accessible(gro, "handset guard with arrival and police taps")
    await gro.get_by_test_id("arrived").click()
    await expect(gro.get_by_test_id("arrived-sent")).to_be_visible()
    await expect(card).to_have_attribute("data-state", "arrived")
    await expect(lise.get_by_test_id("presser-text")).to_have_text("Gro (vekter) er fremme.")
    await gro.get_by_test_id("police-contacted").click()
    await expect(police).to_have_text("Politiet er kontaktet (Gro (vekter)).")
    await expect(live.get_by_test_id("police-line")).to_have_text(
        "Politiet er kontaktet (Gro (vekter))."
    )
    await expect(live.get_by_test_id("arrived")).to_have_text("Fremme: Gro (vekter)")
    await check_accessible(console, "console live card with the presser")
    await shoot(console, shots / "console-presser.png")
    await check_accessible(lise, "handset presser card")
    await shoot(lise, shots / "handset-presser.png")

    # English on the same screen: the presser text follows the handset's language (codes)
    await lise.get_by_test_id("lang-switch").click()
    await expect(lise.get_by_test_id("presser-text")).to_have_text("Gro (vekter) is there.")
    assert lise.errors == [] and gro.errors == []
