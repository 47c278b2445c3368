"""The console's office page in a real browser (Playwright driving Debian's chromium) against a
real service on loopback: a coordinator pairs a phone with a one-time code (the QR and the link),
the phone gets an offer after a press, the used link is refused, and revoking disconnects the
phone; then role cards: an invalid upload shows its problem next to its line, a valid one is
activated, and the history shows both. Accessibility (names, contrast) is checked on the way.
Skipped without chromium (see browser.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.browser import (
    DESKTOP,
    HANDSET,
    TIMEOUT_MS,
    check_accessible,
    expect,
    offer,
    screenshot_dir,
)
from tests.e2e.harness import Running

pytestmark = pytest.mark.timeout(180)
DEMO = DEMO_OFFICE.read_text(encoding="utf-8")


async def office_page(browser: Any, running: Running) -> Any:
    page = await (await browser.new_context(viewport=DESKTOP)).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    await page.goto(f"{running.base}/console?token=demo-coordinator")
    await page.get_by_test_id("office-link").click()
    await expect(page.get_by_test_id("office-title")).to_have_text(
        "NAV Demo: mottakere og rollekort"
    )
    return page


async def phone(browser: Any, url: str) -> Any:
    context = await browser.new_context(viewport=HANDSET, is_mobile=True, has_touch=True)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    await page.goto(url)
    return page


async def test_a_phone_is_paired_from_the_console_gets_an_offer_and_is_revoked(
    running: Running, browser: Any
) -> None:
    console = await office_page(browser, running)
    panel = console.get_by_test_id("handsets-panel")
    await expect(panel.get_by_test_id("handsets-none")).to_be_visible()
    await panel.get_by_label("Person").select_option("lise")
    await panel.get_by_test_id("hs-create").click()
    result = panel.get_by_test_id("pair-result")
    await expect(result).to_have_attribute("data-status", "pending")
    await expect(panel.get_by_test_id("handsets-status")).to_have_text(
        "Kode laget for Lise (leder)."
    )
    qr = result.get_by_test_id("pair-qr")
    await expect(qr).to_have_attribute("alt", re.compile("QR-kode .* Lise \\(leder\\)"))
    assert await qr.evaluate("img => img.complete && img.naturalWidth >= 100")
    code = (await result.get_by_test_id("pair-code").text_content() or "").strip()
    link = await result.get_by_test_id("pair-link").get_attribute("href")
    assert re.fullmatch(r"[A-Z2-9]{8}", code) and link == f"{running.base}/handset?pair={code}"
    await expect(panel.get_by_test_id("handset-status")).to_have_text("venter på telefonen")
    await check_accessible(console, "console handsets with a code")

    # The phone opens the link: it pairs, keeps the token, drops the code from the address.
    lise = await phone(browser, link)
    await expect(lise.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
    await expect(lise.get_by_test_id("pair-message")).to_contain_text("Telefonen er koblet til")
    await expect(lise.get_by_test_id("person-name")).to_have_text("Lise (leder)")
    assert "pair=" not in lise.url
    token = await lise.evaluate("localStorage.getItem('rollekort.handset.token')")
    assert token and code not in token
    await expect(result).to_have_attribute("data-status", "paired")  # the console sees it
    await expect(result.get_by_test_id("pair-done")).to_have_text(
        "Telefonen til Lise (leder) er koblet til ✓"
    )
    await expect(panel.get_by_test_id("handset-row")).to_have_attribute("data-status", "paired")

    await asyncio.to_thread(press, running.broker_url, "desk-1")
    await expect(offer(lise, "leader")).to_have_attribute("data-status", "offered")
    await lise.reload()  # the kept token signs in again
    await expect(offer(lise, "leader")).to_have_attribute("data-status", "offered")

    # The same link on another phone: refused, said plainly, and the code form is offered.
    other = await phone(browser, link)
    await expect(other.get_by_test_id("pair-message")).to_contain_text("Koden ble ikke godtatt")
    await expect(other.get_by_test_id("pair-form")).to_be_visible()
    await check_accessible(other, "handset with a refused code")
    await other.get_by_label("Sammenkoblingskode").fill("abcd-efgh")
    await other.get_by_test_id("pair-submit").click()
    await expect(other.get_by_test_id("pair-message")).to_contain_text("Koden ble ikke godtatt")

    # Revoke (a second press confirms): the phone is disconnected and its token refused.
    revoke = panel.get_by_test_id("revoke")
    await revoke.click()
    await expect(revoke).to_have_attribute("data-armed", "true")
    await expect(revoke).to_have_text("Trykk igjen: tilbakekall")
    await revoke.click()
    await expect(panel.get_by_test_id("handset-row")).to_have_attribute("data-status", "revoked")
    await expect(panel.get_by_test_id("handsets-status")).to_contain_text("er tilbakekalt")
    await expect(lise.get_by_test_id("pair-form")).to_be_visible()
    await expect(lise.get_by_test_id("conn-state")).to_contain_text("Token avvist")
    assert console.errors == [] and lise.errors == [] and other.errors == []


def without_leader_stance(text: str) -> str:
    data = yaml.safe_load(text)
    del data["rolecard"]["roles"][0]["stance"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def new_card(text: str) -> str:
    return text.replace('version: "2026-11-01"', 'version: "2026-12-01"')


async def test_role_cards_show_problems_by_line_and_a_good_card_is_activated(
    running: Running, browser: Any, tmp_path: Path
) -> None:
    bad = without_leader_stance(DEMO)
    async with httpx.AsyncClient(base_url=running.base) as http:
        checked = await http.post(
            "/api/v1/offices/demo/rolecards/validate",
            content=bad,
            headers={"Authorization": "Bearer demo-coordinator"},
        )
    [stance] = [p for p in checked.json()["problems"] if "no stance" in p["message"]]

    console = await office_page(browser, running)
    panel = console.get_by_test_id("rolecards-panel")
    await expect(panel.get_by_test_id("rc-active")).to_have_text("Aktiv versjon: 1 (2026-11-01)")
    await panel.get_by_label("Velg en kontorfil (YAML)").set_input_files(
        files=[{"name": "kontor.yaml", "mimeType": "application/yaml", "buffer": bad.encode()}]
    )
    await expect(panel.get_by_test_id("rc-text")).to_have_value(bad)
    await panel.get_by_test_id("rc-upload").click()
    status = panel.get_by_test_id("rc-status")
    await expect(status).to_have_text(re.compile(r"^Versjon 2 er lastet opp: [1-9]\d* feil, "))
    line = panel.locator(f'[data-testid="rc-line"][data-line="{stance["line"]}"]')
    await expect(line).to_have_attribute("data-severity", "error")
    problem = line.get_by_test_id("rc-problem").filter(has_text="no stance")
    await expect(problem).to_contain_text(f"FEIL {stance['line']}:{stance['column']}")
    await expect(line.locator(".sr-only")).to_have_text(f"Linje {stance['line']}, FEIL: ")
    await expect(panel.get_by_test_id("rc-activate")).to_have_count(0)
    await expect(panel.get_by_test_id("rc-blocked")).to_be_visible()
    await check_accessible(console, "console role card with errors")
    goto = panel.get_by_test_id("rc-summary-problem").filter(has_text="no stance")
    await goto.get_by_test_id("rc-goto").click()
    assert await line.evaluate("el => document.activeElement === el")
    await panel.screenshot(path=str(screenshot_dir(tmp_path) / "console-rolecards.png"))

    await panel.get_by_label("… eller lim inn innholdet").fill(new_card(DEMO))
    await panel.get_by_test_id("rc-validate").click()
    await expect(status).to_have_text("Sjekket (ikke lagret): 0 feil, 0 advarsler.")
    await panel.get_by_test_id("rc-upload").click()
    await expect(status).to_have_text("Versjon 3 er lastet opp: 0 feil, 0 advarsler.")
    await expect(panel.get_by_test_id("rc-no-problems")).to_be_visible()
    await panel.get_by_test_id("rc-activate").click()
    await expect(status).to_contain_text("Versjon 3 er aktivert.")
    await expect(panel.get_by_test_id("rc-active")).to_have_text("Aktiv versjon: 3 (2026-12-01)")
    versions = panel.get_by_test_id("rc-version")
    await expect(versions).to_have_count(3)
    assert [
        (await v.get_attribute("data-number"), await v.get_attribute("data-status"))
        for v in await versions.all()
    ] == [("3", "active"), ("2", "uploaded"), ("1", "retired")]
    await expect(versions.nth(1)).to_contain_text("coordinator (token")
    await expect(versions.nth(2)).to_contain_text("kontorfilen")
    await expect(versions.nth(1).get_by_test_id("rc-activate-row")).to_have_count(0)
    await check_accessible(console, "console role cards activated")

    await versions.nth(1).get_by_test_id("rc-show").click()  # back to the broken one's problems
    await expect(status).to_have_text(re.compile(r"^Versjon 2: [1-9]\d* feil"))
    await expect(line).to_have_attribute("data-severity", "error")
    await console.get_by_test_id("lang-switch").click()
    await expect(panel.get_by_role("heading", name="Role cards")).to_be_visible()
    await expect(versions.first.get_by_test_id("rc-version-status")).to_have_text("ACTIVE")
    await expect(line.locator(".sr-only")).to_have_text(f"Line {stance['line']}, ERROR: ")
    assert console.errors == []
