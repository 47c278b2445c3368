"""The handset page and the coordinator console in a real browser (Playwright driving Debian's
chromium) against a real service on loopback: a press through MQTT reaches three handsets, the
leader and the guard take their roles and tick steps, the leader gives the all-clear, and the
console shows the alarm live and then its replay, times, deviations and exports. Accessibility
(names, contrast, focus order) is checked on the same screens. Skipped without chromium."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from simulator.button import press
from tests.e2e.browser import (
    DESKTOP,
    TIMEOUT_MS,
    check_accessible,
    expect,
    focused,
    offer,
    open_handset,
    screenshot_dir,
    shoot,
    tab_to,
)
from tests.e2e.harness import Running

pytestmark = pytest.mark.timeout(180)


async def test_press_to_all_clear_on_handsets_while_the_console_watches_then_replays(
    running: Running, browser: Any, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    console = await (await browser.new_context(viewport=DESKTOP, accept_downloads=True)).new_page()
    console.set_default_timeout(TIMEOUT_MS)
    console_errors: list[str] = []
    console.on("pageerror", lambda e: console_errors.append(str(e)))
    await console.goto(f"{running.base}/console?token=demo-coordinator")
    await expect(console.get_by_test_id("whoami")).to_have_text("Koordinator · NAV Demo")
    await expect(console.get_by_test_id("no-live")).to_have_text("Ingen aktive alarmer nå.")

    leader = await open_handset(browser, running, "demo-leader")
    guard = await open_handset(browser, running, "demo-guard")
    deputy = await open_handset(browser, running, "demo-deputy")

    # Idle: who I am, my standing roles, and the connection, in Norwegian.
    await expect(leader.get_by_test_id("person-name")).to_have_text("Lise (leder)")
    await expect(leader.get_by_test_id("standing-role").first).to_contain_text("Leder")
    await expect(leader.get_by_test_id("conn-state")).to_contain_text("Tilkoblet")
    await expect(leader.get_by_test_id("idle")).to_have_text("Ingen aktive alarmer.")
    assert await leader.evaluate("document.documentElement.lang") == "nb"
    await check_accessible(leader, "handset idle")
    await shoot(leader, shots / "handset-idle.png")

    await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")

    # The offer: where, what kind, the role and its steps, a countdown, Accept before Decline.
    card = offer(leader, "leader")
    await expect(card).to_have_attribute("data-status", "offered")
    alarm = leader.get_by_test_id("alarm")
    await expect(alarm.get_by_test_id("mode-label")).to_contain_text("ALARM")
    await expect(alarm.get_by_test_id("location")).to_contain_text("Publikumsmottak")
    await expect(alarm.get_by_test_id("location")).to_contain_text("publikumsområde")
    await expect(alarm.get_by_test_id("level")).to_have_text("AKUTT")
    await expect(card.get_by_test_id("role-title")).to_contain_text("Tilbud: Leder")
    await expect(card.get_by_test_id("countdown")).to_have_text(re.compile(r"Svar innen 0:\d\d"))
    await expect(card.get_by_test_id("steps").locator("li")).to_have_count(5)
    sound = alarm.get_by_test_id("sound-state")
    await expect(sound).to_have_attribute("data-sound", "muted-public")
    alerts = await leader.evaluate("window.rollekortHandset.alerts")
    assert alerts and alerts[0]["vibrated"] and alerts[0]["sound"] == "muted-public"
    assert await leader.evaluate("document.body.dataset.wakelock") in ("held", "denied")
    await check_accessible(leader, "handset offer")
    await shoot(leader, shots / "handset-offer.png")

    passed = await tab_to(leader, "accept")
    assert "decline" not in passed
    first = await focused(leader)
    assert first["role"] == "leader" and first["matchesFocusVisible"] and first["outline"]
    await leader.keyboard.press("Tab")
    second = await focused(leader)
    assert second["testid"] == "decline" and second["role"] == "leader" and second["outline"]

    # The console sees it live.
    live = console.get_by_test_id("live-list").get_by_test_id("alarm-row")
    await expect(live).to_have_attribute("data-status", "open")
    await expect(live.get_by_test_id("where")).to_have_text("Publikumsmottak")
    alarm_id = await live.get_attribute("data-alarm-id")

    # Leader accepts (with the keyboard: focus is back on Accept) and ticks a step.
    await leader.keyboard.press("Shift+Tab")
    await leader.keyboard.press("Enter")
    await expect(card).to_have_attribute("data-confirmed", "true")
    await expect(card.get_by_test_id("offer-status")).to_have_text("Du har denne rollen.")
    await card.get_by_test_id("step-1").click()
    await expect(card.get_by_test_id("step-1")).to_have_attribute("data-done", "true")
    await expect(card.get_by_test_id("step-1")).to_have_text("✓ Utført")

    await offer(guard, "guard").get_by_test_id("accept").click()
    await expect(offer(guard, "guard")).to_have_attribute("data-confirmed", "true")
    guard_row = leader.locator('[data-testid="role-row"][data-role-id="guard"]')
    await expect(guard_row.get_by_test_id("role-holder")).to_have_text("Gro (vekter)")

    await offer(deputy, "police-contact").get_by_test_id("decline").click()
    await expect(offer(deputy, "police-contact").get_by_test_id("undo-decline")).to_be_visible()
    await expect(offer(deputy, "police-contact").get_by_test_id("offer-status")).to_have_text(
        re.compile("Du avslo"), timeout=TIMEOUT_MS
    )
    await expect(leader.get_by_test_id("need-help")).to_be_visible()
    await check_accessible(leader, "handset accepted")
    await shoot(leader, shots / "handset-accepted.png")

    leader_live = console.locator('[data-testid="live-role"][data-role-id="leader"]')
    await expect(leader_live).to_contain_text("Lise (leder)")
    await expect(leader_live).to_contain_text("steg 1/5")
    await check_accessible(console, "console live")
    await shoot(console, shots / "console-live.png", full_page=True)

    # All clear needs a second tap within five seconds; then every handset shows the end.
    clear = leader.get_by_test_id("all-clear")
    await clear.click()
    await expect(clear).to_have_attribute("data-armed", "true")
    await expect(clear).to_have_text("Trykk igjen: Alt klart")
    await clear.click()
    for page in (leader, guard, deputy):
        closed = page.get_by_test_id("alarm-closed")
        await expect(closed).to_have_attribute("data-outcome", "resolved")
        await expect(closed).to_contain_text("Alarmen er over – løst (alt klart)")
        assert page.errors == []

    await replay_in_console(console, alarm_id, shots)
    await exports_download(console, alarm_id)
    assert console_errors == []


async def replay_in_console(console: Any, alarm_id: str, shots: Path) -> None:
    await expect(console.get_by_test_id("no-live")).to_be_visible()
    row = console.locator(f'[data-testid="recent-table"] [data-alarm-id="{alarm_id}"]')
    await expect(row.get_by_test_id("status")).to_have_text("løst (alt klart)")
    await row.get_by_test_id("view-alarm").click()

    await expect(console.get_by_test_id("alarm-status")).to_have_text("løst (alt klart)")
    times = console.locator('[data-testid="role-time"][data-role-id="leader"]')
    await expect(times.get_by_test_id("holder")).to_have_text("Lise (leder)")
    await expect(times.get_by_test_id("to-accept")).to_have_text(re.compile(r"^\d+(,\d)? s"))
    await expect(times.get_by_test_id("to-step")).to_have_text(re.compile(r"^\d+(,\d)? s$"))
    police = console.locator('[data-testid="role-time"][data-role-id="police-contact"]')
    await expect(police.get_by_test_id("holder")).to_have_text("ingen")
    await expect(police).to_have_class(re.compile("deviation"))
    declined = console.locator('[data-testid="deviation"][data-kind="declined"]')
    await expect(declined).to_contain_text("Per (vara)")
    not_taken = console.locator('[data-testid="deviation"][data-kind="not_taken"]')
    await expect(not_taken).to_contain_text("Politikontakt")

    # The scrubber: at the press the leader role is only offered; at the end it is taken.
    scrubber = console.get_by_test_id("scrubber")
    status = console.get_by_test_id("replay-status")
    leader_role = console.locator('[data-testid="replay-role"][data-role-id="leader"]')
    await expect(status).to_have_text("Alarmen: løst (alt klart)")
    await scrubber.fill("0")
    await expect(status).to_have_text("Alarmen: pågår")
    await expect(leader_role).to_have_attribute("data-state", "offered")
    await expect(leader_role).to_contain_text("tilbudt Lise (leder)")
    await expect(console.get_by_test_id("replay-clock")).to_contain_text("T+0 s")
    await console.get_by_test_id("next-event").click()
    await console.get_by_test_id("to-end").click()
    await expect(leader_role).to_have_attribute("data-state", "accepted")
    await expect(leader_role).to_contain_text("steg 1/5")
    await expect(status).to_have_text("Alarmen: løst (alt klart)")
    await check_accessible(console, "console replay")
    await console.get_by_test_id("prev-event").click()
    await console.get_by_test_id("prev-event").click()
    await shoot(console, shots / "console-replay.png", full_page=True)


async def exports_download(console: Any, alarm_id: str) -> None:
    files: dict[str, str] = {}
    for kind in ("html", "json", "csv"):
        async with console.expect_download() as info:
            await console.get_by_test_id(f"export-{kind}").click()
        download = await info.value
        assert download.suggested_filename == f"debrief-{alarm_id}.{kind}"
        saved = await download.path()
        files[kind] = await asyncio.to_thread(Path(saved).read_text, encoding="utf-8")
    body = json.loads(files["json"])
    assert body["summary"]["outcome"] == "resolved"
    assert [r["role_id"] for r in body["role_times"]] == ["leader", "guard", "police-contact"]
    rows = list(csv.reader(io.StringIO(files["csv"])))
    assert rows[0] == [
        "alarm_id",
        "seq",
        "at",
        "seconds_since_press",
        "type",
        "actor",
        "role",
        "person",
        "detail",
    ]
    assert [r[4] for r in rows[1:3]] == ["PressReceived", "AlarmRaised"]
    assert {r[0] for r in rows[1:]} == {alarm_id}
    assert len(rows) - 1 == len(body["events"])
    assert "Tider per rolle" in files["html"] and "Lise (leder)" in files["html"]
    async with console.expect_popup() as popup_info:
        await console.get_by_test_id("print").click()
    printable = await popup_info.value
    await expect(printable.get_by_test_id("role-times")).to_contain_text("Leder")
    await expect(printable.get_by_test_id("deviations")).to_contain_text("Avslått")
