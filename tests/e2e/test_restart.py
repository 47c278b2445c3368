"""Never lost: a press the database could not take before the service stopped, and a press sent
while the service was down, both come back from the broker after a restart, as the same alarms;
open offers are sent again to a resuming handset, and their deadlines still fire."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx

from simulator.button import press
from tests.conftest import require_mosquitto
from tests.e2e.harness import Handset, forget_session, office_file, service, settings_for


async def test_presses_survive_a_stop_before_commit_and_a_stop_between_presses(
    tmp_path: Path,
) -> None:
    broker = require_mosquitto()
    db_file = tmp_path / "restart.db"
    settings = settings_for(
        broker, f"sqlite+aiosqlite:///{db_file}", config=office_file(tmp_path, leader=5)
    )
    try:
        async with service(settings) as first, Handset.connect(first, "demo-leader") as leader:
            await leader.expect("welcome")
            blocker = sqlite3.connect(db_file, timeout=0)
            blocker.execute("BEGIN EXCLUSIVE")  # the database cannot take the alarm now
            await asyncio.to_thread(press, first.broker_url, "desk-1")
            offered = await leader.expect("alarm", offer__role_id="leader")
            seen = leader.max_seq
        # the service stopped without committing, so it never acknowledged the press
        await asyncio.to_thread(press, broker, "worn-1")  # pressed while the service is down
        blocker.rollback()
        blocker.close()

        async with (
            service(settings, migrate=False) as second,
            Handset.connect(second, "demo-leader", resume=seen) as leader,
            Handset.connect(second, "demo-deputy") as deputy,
        ):
            welcome = await leader.expect("welcome")
            assert welcome["event_seq"] > seen
            again = await leader.expect(
                "alarm", alarm_id=offered["alarm_id"], offer__role_id="leader"
            )
            assert again["event_seq"] > seen
            worn = await leader.expect(
                "alarm", trigger__device_id="worn-1", offer__role_id="leader"
            )
            assert worn["trigger"]["kind"] == "worn" and worn["alarm_id"] != offered["alarm_id"]
            # the press came back before any handset: the roles reach people as they arrive
            await deputy.expect("alarm", alarm_id=offered["alarm_id"], offer__role_id="guard")

            async with httpx.AsyncClient(base_url=second.base) as http:
                headers = {"Authorization": "Bearer demo-coordinator"}
                body = (
                    await http.get(f"/api/v1/alarms/{offered['alarm_id']}", headers=headers)
                ).json()
        kinds = [e["type"] for e in body["timeline"]]
        assert kinds.count("PressReceived") == 1 and kinds.count("AlarmRaised") == 1
    finally:
        forget_session(settings)


async def test_after_a_restart_open_offers_are_resent_and_deadlines_still_fire(
    tmp_path: Path, sqlite_url: str
) -> None:
    broker = require_mosquitto()
    settings = settings_for(broker, sqlite_url, config=office_file(tmp_path, leader=6))
    try:
        async with service(settings) as first, Handset.connect(first, "demo-leader") as leader:
            await leader.expect("welcome")
            await asyncio.to_thread(press, first.broker_url, "desk-1")
            offered = await leader.expect("alarm", offer__role_id="leader")
            seen = leader.max_seq
        async with (
            service(settings, migrate=False) as second,
            Handset.connect(second, "demo-leader", resume=seen) as leader,
            Handset.connect(second, "demo-deputy") as deputy,
        ):
            again = await leader.expect(
                "alarm", alarm_id=offered["alarm_id"], offer__role_id="leader"
            )
            assert (
                again["event_seq"] > seen and again["offer"]["due_at"] == offered["offer"]["due_at"]
            )
            # the deputy is not asked before the holder's deadline, and is asked when it passes
            moved = await deputy.expect(
                "alarm", alarm_id=offered["alarm_id"], offer__role_id="leader"
            )
            assert moved["offer"]["due_at"] > offered["offer"]["due_at"]
            async with httpx.AsyncClient(base_url=second.base) as http:
                headers = {"Authorization": "Bearer demo-coordinator"}
                body = (
                    await http.get(f"/api/v1/alarms/{offered['alarm_id']}", headers=headers)
                ).json()
        timed_out = [e for e in body["timeline"] if e["type"] == "OfferTimedOut"]
        assert timed_out and timed_out[0]["data"]["person_ids"] == ["lise"]
    finally:
        forget_session(settings)
