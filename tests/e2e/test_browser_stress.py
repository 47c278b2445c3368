"""The handset for a person under stress, in a real browser against a real service (issue 16):
two offers at once on a 360×640 phone (the soonest on top, both named on the first screen), a
decline that can be undone and is the smaller target, words that say what to do, a quiet idle
screen, and a closed alarm that tidies itself away. axe-core checks each state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simulator.button import press
from tests.e2e.browser import (
    TIMEOUT_MS,
    check_accessible,
    expect,
    offer,
    open_handset,
    require_browser,
    screenshot_dir,
    shoot,
)
from tests.e2e.harness import Handset, Running, office_file, service, settings_for

pytestmark = pytest.mark.timeout(180)
SMALL = {"width": 360, "height": 640}
UNDO_S = 5

# Records what the page sends on its socket, to show that an undone decline never left it.
RECORD_SENT = """() => {
  const ws = window.rollekortHandset.state.ws;
  window.sentFrames = [];
  const send = ws.send.bind(ws);
  ws.send = (data) => { window.sentFrames.push(JSON.parse(data)); send(data); };
}"""


@pytest.fixture
async def running(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The demo office with longer deadlines (guard 40 s, police contact 45 s), so that a slow
    machine does not run the offers out while the test looks at them."""
    require_browser()
    card = office_file(tmp_path, guard=40, **{"police-contact": 45})
    async with service(settings_for("embedded", sqlite_url, config=card)) as running:
        yield running


async def small_phone(browser: Any, running: Running, token: str) -> Any:
    context = await browser.new_context(viewport=SMALL, is_mobile=True, has_touch=True)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    await page.goto(f"{running.base}/handset?token={token}")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
    return page


async def area(locator: Any) -> float:
    box = await locator.bounding_box()
    assert box is not None
    return float(box["width"] * box["height"])


async def test_two_offers_the_soonest_on_top_both_on_the_first_screen_and_decline_undone(
    running: Running, browser: Any, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    leader = await open_handset(browser, running, "demo-leader")
    deputy = await small_phone(browser, running, "demo-deputy")
    async with Handset.connect(running, "demo-guard") as guard:
        await guard.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        first = await guard.expect("alarm")
        # The guard declines at once: the deputy gets "Vekter" (40 s) after "Politikontakt"
        # (45 s from the press), so the newer offer is due first and must be on top.
        await guard.send(type="decline", alarm_id=first["alarm_id"], role_id="guard")
        waiting = deputy.locator('[data-testid="offer"][data-status="offered"]')
        await expect(waiting).to_have_count(2)
        assert await waiting.evaluate_all("els => els.map((e) => e.dataset.roleId)") == [
            "guard",
            "police-contact",
        ]
        due = await waiting.locator('[data-testid="countdown"]').evaluate_all(
            "els => els.map((e) => Number(e.dataset.deadline))"
        )
        assert due == sorted(due)

        # Both are named on the first screen of a 360×640 phone, soonest first, one tap away.
        summary = deputy.get_by_test_id("waiting-offers")
        await expect(summary).to_contain_text("2 tilbud venter på svar")
        jumps = summary.get_by_test_id("jump-offer")
        assert await jumps.evaluate_all("els => els.map((e) => e.dataset.roleId)") == [
            "guard",
            "police-contact",
        ]
        for i in range(2):
            box = await jumps.nth(i).bounding_box()
            assert box is not None and box["y"] + box["height"] <= SMALL["height"]
        vekter = offer(deputy, "guard")
        accept_box = await vekter.get_by_test_id("accept").bounding_box()
        assert accept_box is not None and accept_box["y"] + accept_box["height"] <= SMALL["height"]
        await shoot(deputy, shots / "handset-two-offers.png")
        # Decline is the smaller target, never the easier one.
        decline = vekter.get_by_test_id("decline")
        assert await area(decline) < 0.6 * await area(vekter.get_by_test_id("accept"))

        # A decline waits and can be taken back; nothing reaches the service.
        await deputy.evaluate(RECORD_SENT)
        await decline.click()
        undo = vekter.get_by_test_id("undo-decline")
        await expect(undo).to_be_focused()
        await expect(vekter.get_by_test_id("offer-status")).to_contain_text("Sendes om")
        await undo.click()
        undone_at = time.monotonic()
        await expect(vekter).to_have_attribute("data-status", "offered")
        await expect(vekter.get_by_test_id("accept")).to_be_focused()

        await check_accessible(deputy, "handset two offers")
        await jumps.nth(1).click()
        police_accept = offer(deputy, "police-contact").get_by_test_id("accept")
        await expect(police_accept).to_be_focused()
        await expect(police_accept).to_be_in_viewport()

        await asyncio.sleep(max(0.0, UNDO_S + 0.5 - (time.monotonic() - undone_at)))
        sent = await deputy.evaluate("window.sentFrames")
        assert [f for f in sent if f.get("type") == "decline"] == []
        await vekter.get_by_test_id("accept").click()
        await expect(vekter).to_have_attribute("data-confirmed", "true")
        await expect(offer(deputy, "police-contact")).to_have_attribute("data-status", "withdrawn")
        await expect(summary).to_have_count(0)
        assert deputy.errors == []

        await words_for_a_stressed_person(leader)
        await closed_alarm_tidies_itself(leader, shots)


async def words_for_a_stressed_person(leader: Any) -> None:
    card = offer(leader, "leader")
    await expect(card.get_by_test_id("stance")).to_have_text("Du skal: Gå inn i situasjonen")
    silent = leader.get_by_test_id("sound-state")
    await expect(silent).to_contain_text("Denne telefonen vibrerer bare, uten lyd")
    await expect(silent).to_contain_text("publikumsområde")
    # The leader's heading is read once as "leader", not "Leder leder".
    heading = await card.get_by_test_id("role-title").aria_snapshot()
    assert heading.lower().count("leder") == 1, heading
    await card.get_by_test_id("accept").click()
    await expect(card).to_have_attribute("data-confirmed", "true")


async def closed_alarm_tidies_itself(leader: Any, shots: Path) -> None:
    await leader.evaluate("window.rollekortHandset.state.closedKeepMs = 6000")
    clear = leader.get_by_test_id("all-clear")
    await clear.click()
    await clear.click()
    closed = leader.get_by_test_id("alarm-closed")
    await expect(closed).to_contain_text("Alarmen er over")
    alarm = leader.get_by_test_id("alarm")
    await expect(alarm.get_by_test_id("steps")).to_have_count(0)
    await expect(alarm.get_by_test_id("need-help")).to_have_count(0)
    rows = alarm.get_by_test_id("role-row")
    states = await rows.evaluate_all("els => els.map((e) => e.dataset.state)")
    assert states and not {"offered", "waiting"} & set(states), states
    assert "tilbudt" not in (await alarm.inner_text())
    await expect(alarm.get_by_test_id("clears-at")).to_contain_text("Forsvinner fra skjermen")
    await check_accessible(leader, "handset closed")
    await expect(alarm).to_have_count(0, timeout=TIMEOUT_MS)
    await expect(leader.get_by_test_id("idle")).to_be_visible()


async def test_the_idle_screen_keeps_the_role_card_note_quiet(
    running: Running, browser: Any
) -> None:
    page = await small_phone(browser, running, "demo-guard")
    panel = page.get_by_test_id("ack-panel")
    await expect(panel).to_be_visible()
    await expect(panel).to_contain_text("Rollekortet er oppdatert")
    standing = await page.get_by_test_id("standing-roles").bounding_box()
    box = await panel.bounding_box()
    assert standing is not None and box is not None
    assert box["y"] > standing["y"]  # below the person's own roles, not above them
    assert box["height"] < SMALL["height"] / 3  # a note, not the screen
    button = page.get_by_test_id("acknowledge")
    background = await button.evaluate("(b) => getComputedStyle(b).backgroundColor")
    assert background == "rgb(255, 255, 255)"  # a plain button, not the page's primary action
    border = await panel.evaluate("(p) => getComputedStyle(p).borderLeftWidth")
    assert border == "0px"
