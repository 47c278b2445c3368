"""Tamper evidence and unreadable timelines as a coordinator meets them (issue 12, B and 4): a
real service, an alarm closed from a handset, its timeline edited in the database behind the
service's back, and a timeline that cannot be folded (as two writers would leave it). The API
says `chain: broken` with the reason and the console shows it in Chromium; the unreadable one
does not stop a restart, is named in the listing, and gets an error that says why, not a 500."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.adapters.db import tables as t
from app.adapters.db.chain_key import load_chain_key
from app.adapters.db.engine import make_engine
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core import events as ev
from app.service.ports import AlarmSummary
from simulator.button import press
from tests.e2e.browser import DESKTOP, TIMEOUT_MS, chromium, expect, require_browser
from tests.e2e.harness import Handset, Running, service, settings_for

pytestmark = pytest.mark.timeout(240)
HEADERS = {"Authorization": "Bearer demo-coordinator"}


async def _closed_alarm(running: Running) -> str:
    async with Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await leader.expect("alarm", offer__role_id="leader")
        await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        await leader.expect("alarm_update", alarm_id=offer["alarm_id"])
        await leader.send(type="all_clear", alarm_id=offer["alarm_id"])
        await leader.expect("alarm_closed", alarm_id=offer["alarm_id"])
        return str(offer["alarm_id"])


async def _detail(http: httpx.AsyncClient, alarm_id: str) -> httpx.Response:
    return await http.get(f"/api/v1/alarms/{alarm_id}", headers=HEADERS)


async def _write_unfoldable(url: str, key: bytes) -> str:
    """A timeline that starts with RoleAccepted, keyed and sealed like any other."""
    now = datetime.now(UTC)
    alarm = AlarmSummary("a-twowriters", "demo", "desk-1", "reception", "open", "assist", "real",
                         now, None, "1:demo")  # fmt: skip
    accepted = ev.RoleAccepted(at=now, actor=ev.person_actor("lise"), role_id="leader",
                               person_id="lise")  # fmt: skip
    store = SqlAlchemyAlarmStore(make_engine(url), chain_key=key)
    try:
        await store.append(alarm, [accepted])
    finally:
        await store.close()
    return alarm.alarm_id


async def _console_shows(
    running: Running, alarm_id: str, state: str, text: str, shot: Path | None = None
) -> None:
    """The console's alarm page in Chromium shows the chain's state and reason."""
    async with chromium() as browser:
        page: Any = await (await browser.new_context(viewport=DESKTOP)).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await page.goto(f"{running.base}/console?token=demo-coordinator#/alarm/{alarm_id}")
        chain = page.get_by_test_id("chain")
        await expect(chain).to_have_attribute("data-state", state)
        await expect(chain).to_contain_text(text)
        if shot is not None:
            await page.screenshot(path=str(shot))


async def test_a_tampered_timeline_shows_broken_and_an_unreadable_one_is_reported(
    tmp_path: Path,
) -> None:
    require_browser()
    url = f"sqlite+aiosqlite:///{tmp_path / 'tamper.db'}"
    settings = settings_for("embedded", url)
    async with service(settings) as running, httpx.AsyncClient(base_url=running.base) as http:
        alarm_id = await _closed_alarm(running)
        body = (await _detail(http, alarm_id)).json()
        assert body["chain"] == {"state": "ok", "reason": None, "length": len(body["timeline"])}
        await _console_shows(running, alarm_id, "ok", "Hel")

    key = load_chain_key(None, None, tmp_path)  # the key the service generated beside the db
    unreadable = await _write_unfoldable(url, key)
    engine = make_engine(url)
    e = t.alarm_event.c
    async with engine.begin() as conn:  # someone with database access rewrites who accepted
        rows = update(t.alarm_event).where(e.alarm_id == alarm_id, e.type == "RoleAccepted")
        await conn.execute(rows.values(actor="person:mallory"))
    await engine.dispose()

    async with service(settings, migrate=False) as running:  # starts despite the bad timeline
        async with httpx.AsyncClient(base_url=running.base) as http:
            body = (await _detail(http, alarm_id)).json()
            assert body["chain"]["state"] == "broken"
            assert "does not match its hash" in body["chain"]["reason"]
            bad = await _detail(http, unreadable)
            listing = (await http.get("/api/v1/alarms", headers=HEADERS)).json()
        assert bad.status_code == 409
        assert bad.json()["error"]["code"] == "timeline_unreadable"
        assert "RoleAccepted before AlarmRaised" in bad.json()["error"]["message"]
        [listed] = [a for a in listing if a["alarm_id"] == unreadable]
        assert "RoleAccepted before AlarmRaised" in listed["problem"]
        assert all(a["problem"] is None for a in listing if a["alarm_id"] != unreadable)
        shot = tmp_path / "console-chain-broken.png"
        await _console_shows(running, alarm_id, "broken", "does not match its hash", shot)
