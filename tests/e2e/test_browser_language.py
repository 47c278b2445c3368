"""One language per screen (issue 16): every server reason, notice and reminder arrives as a code
with parameters and the handset renders it in its own language. A Norwegian page shows no
English word and an English page no Norwegian one, for every frame type: those of a real press
and lockdown, and the service's own frame builders for every code in its text tables (errors,
coverage problems, reminders, notices), injected into the page. Role-card data (titles, steps,
names, places; marked translate="no") is the office's words and is left out of the check."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from app.adapters.ws import outbound
from app.adapters.ws.texts import coded, table
from app.core.supervision import Coverage, CoverageStatus, Problem
from simulator.button import press
from tests.e2e.browser import (
    check_accessible,
    expect,
    foreign_words,
    offer,
    open_handset,
)
from tests.e2e.harness import Running

pytestmark = pytest.mark.timeout(240)
FIELD = re.compile(r"\{(\w+)\}")
# Data for the parameters: the office's own words, whatever the page's language.
DATA: dict[str, str | int] = {
    "role": "Vekter",
    "device": "desk-1",
    "location": "Publikumsmottak",
    "office": "NAV Demo",
    "place": "Bakland",
    "name": "Gro (vekter)",
    "site": "Bakland",
    "instruction": "Trekk deg unna mot bakland.",
    "battery": 9,
    "minutes": 15,
    "hours": 25,
}


def params_of(code: str) -> dict[str, str | int]:
    return {f: DATA[f] for f in FIELD.findall(table("en")[code])}


def coverage_with_every_problem() -> dict[str, Any]:
    problems = tuple(
        Problem(code.removeprefix("coverage."), tuple(params_of(code).items()), code)
        for code in table("en")
        if code.startswith("coverage.") and code not in ("coverage.ok", "coverage.degraded")
    )
    return outbound.coverage_frame(Coverage("demo", CoverageStatus.DEGRADED, problems))


def header(alarm_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id,
        "office_id": "demo",
        "office_name": "NAV Demo",
        "level": "assist",
        "mode": "real",
        "raised_at": "2026-12-01T10:00:00+00:00",
        "location": {"id": "reception", "name": "Publikumsmottak", "zone": "public"},
        "trigger": {"device_id": "desk-1", "kind": "fixed"},
        **extra,
    }


def injected_frames(alarm_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every kind of frame and every code the service's tables know, built as the service
    builds them (outbound.py, texts.coded)."""
    frames: list[tuple[str, dict[str, Any]]] = [
        ("coverage, every problem", coverage_with_every_problem()),
        ("coverage OK", outbound.coverage_frame(Coverage("demo", CoverageStatus.OK, ()))),
    ]
    for kind in ("unfilled", "police"):
        note = {"type": "notice", "office_id": "demo", "kind": "reminder", "alarm_id": alarm_id}
        text = coded(f"reminder.{kind}", {"role": "Vekter"})
        frames.append((f"reminder {kind}", {**note, **text}))
    for on in (True, False):
        note = {"type": "notice", "office_id": "demo", "alarm_id": alarm_id}
        kind = "lockdown" if on else "lockdown_lifted"
        code = "lockdown.on" if on else "lockdown.off"
        frames.append((kind, {**note, "kind": kind, **coded(code)}))
    place = {"location": "Publikumsmottak", "office": "NAV Demo"}
    frames.append(
        (
            "alarm_notice",
            {"type": "alarm_notice", **header("a-notice"), **coded("alarm.notice", place)},
        )
    )
    shared = {"type": "alarm_notice", **header("a-shared"), "shared": True}
    frames.append(("shared alarm", {**shared, **coded("alarm.shared", place)}))
    assemble = {
        "role_id": "presser",
        "title": "Den som trykket",
        "stance": "withdraw_to",
        "at": {"id": "back-office", "name": "Bakland"},
        "steps": [{"n": 1, "text": "Trekk deg unna."}],
    }
    frames.append(
        (
            "assembly",
            {
                "type": "alarm_notice",
                **header("a-assemble"),
                **coded("alarm.assemble", {"place": "Bakland"}),
                "assemble": assemble,
            },
        )
    )
    for code in table("en"):
        if code.startswith("error."):
            name = code.removeprefix("error.")
            frames.append((code, outbound.error_frame(name, "an English message", alarm_id)))
    frames.append(("unknown error", outbound.error_frame("brand_new", "an English message")))
    frames.append(("duty off", {"type": "duty", "on": False}))
    frames.append(("duty on", {"type": "duty", "on": True}))
    closed = {"type": "alarm_closed", "alarm_id": "a-notice", "outcome": "resolved"}
    frames.append(("closed", closed))
    return frames


async def one_language(page: Any, where: str) -> None:
    """No word of the other language, in Norwegian and then in English."""
    for lang in ("nb", "en"):
        if await page.evaluate("document.documentElement.lang") != lang:
            await page.get_by_test_id("lang-switch").click()
            await expect(page.locator("html")).to_have_attribute("lang", lang)
        assert await foreign_words(page) == [], f"{where} ({lang})"
    await page.get_by_test_id("lang-switch").click()
    await expect(page.locator("html")).to_have_attribute("lang", "nb")


async def test_every_frame_type_in_one_language_per_screen(running: Running, browser: Any) -> None:
    deputy = await open_handset(browser, running, "demo-deputy")
    leader = await open_handset(browser, running, "demo-leader")
    await expect(deputy.get_by_test_id("notice").first).to_be_visible()  # coverage, for real
    await one_language(deputy, "idle with coverage notices")

    # The check itself: a server without codes (v1 text only) shows English in Norwegian.
    old = {"type": "notice", "kind": "coverage", "text": "nobody present for the required role"}
    await deputy.evaluate("(f) => window.rollekortHandset.handleFrame(f)", old)
    assert await foreign_words(deputy) != []
    await deputy.reload()
    await expect(deputy.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")

    await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
    await expect(offer(deputy, "police-contact")).to_have_attribute("data-status", "offered")
    alarm_id = await deputy.get_by_test_id("alarm").get_attribute("data-alarm-id")
    assert alarm_id
    await one_language(deputy, "offer")
    await deputy.get_by_test_id("lang-switch").click()
    await check_accessible(deputy, "handset English, offer")
    await deputy.get_by_test_id("lang-switch").click()

    # A real lockdown from the leader, and an accepted role.
    await offer(leader, "leader").get_by_test_id("accept").click()
    lockdown = leader.get_by_test_id("lockdown")
    await lockdown.click()
    await lockdown.click()
    await expect(deputy.get_by_test_id("lockdown-banner")).to_be_visible()
    await offer(deputy, "police-contact").get_by_test_id("accept").click()
    await expect(offer(deputy, "police-contact")).to_have_attribute("data-confirmed", "true")
    await one_language(deputy, "lockdown and an accepted role")

    for where, frame in injected_frames(alarm_id):
        await deputy.evaluate("(f) => window.rollekortHandset.handleFrame(f)", frame)
        await one_language(deputy, where)
    codes = await deputy.get_by_test_id("notice").evaluate_all(
        "els => els.map((e) => e.dataset.code)"
    )
    assert {"coverage.degraded", "reminder.unfilled", "reminder.police", "lockdown.on"} <= set(
        codes
    )
    assert deputy.errors == [] and leader.errors == []
