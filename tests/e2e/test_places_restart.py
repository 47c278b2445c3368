"""A check-in outlives the service (issue 15): Lise checks in at the reception desk from her
handset, the real service process is killed (SIGKILL) and started again, and her handset does
not check in again. A press of the desk button then still names her: she is not offered her
leader role in her own alarm (her deputy is), she gets the presser's quiet card, and the console
names her as checked in. Forgotten, the roster would name Kari and Lise would be offered a role."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from app.settings import Settings
from simulator.button import press
from tests.conftest import require_mosquitto
from tests.e2e.harness import Handset, Running, forget_session
from tests.e2e.process import Served, serve_env, start, tagged_office

pytestmark = pytest.mark.timeout(480)  # two real starts on a loaded machine
HEADERS = {"Authorization": "Bearer demo-coordinator"}


@contextlib.asynccontextmanager
async def handset(served: Served, token: str) -> AsyncIterator[tuple[Handset, dict[str, Any]]]:
    async with Handset.connect(cast(Running, served), token) as h:
        yield h, await h.expect("welcome")


async def console_row(served: Served, alarm_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=served.base, headers=HEADERS) as http:
        for _ in range(50):
            rows = (await http.get("/api/v1/console/alarms")).json()
            row = next((a for a in rows if a["alarm_id"] == alarm_id), {})
            if row.get("presser"):
                break
            await asyncio.sleep(0.1)
    return row


async def test_a_press_after_a_restart_still_knows_who_checked_in_at_the_desk(
    tmp_path: Path,
) -> None:
    broker = require_mosquitto()
    config, desk, _ = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    db = f"sqlite+aiosqlite:///{tmp_path / 'places.db'}"
    env = serve_env(tmp_path, config=config, db=db, broker=broker)
    first = start(tmp_path, env)
    try:
        async with handset(first, "demo-leader") as (lise, welcome):
            assert welcome["place"] is None
            await lise.send(type="check_in", location_id="reception")
            placed = await lise.expect("places")
            assert placed["place"]["id"] == "reception"
        first.kill()  # no shutdown: what is not stored is lost
        second = start(tmp_path, env)
    finally:
        first.kill()
    try:
        async with (
            handset(second, "demo-leader") as (lise, welcome),
            handset(second, "demo-deputy") as (per, _),
        ):
            assert welcome["place"]["id"] == "reception"  # loaded, not sent again
            await asyncio.to_thread(press, broker, desk, "press", "hold")
            quiet = await lise.expect("presser", state="received")
            alarm_id = quiet["alarm_id"]
            offer = await per.expect("alarm", alarm_id=alarm_id, offer__role_id="leader")
            assert offer["trigger"]["presser"] == "Lise (leder)"
            row = await console_row(second, alarm_id)
            assert (row["presser"], row["presser_via"]) == ("Lise (leder)", "checked_in")
            await asyncio.sleep(1.0)  # time for a wrong offer to arrive
            assert not [f for f in lise.inbox if f["type"] == "alarm"]
    finally:
        second.stop()
        forget_session(Settings(broker=broker, mqtt_client_id=env["ROLLEKORT_MQTT_CLIENT_ID"]))
