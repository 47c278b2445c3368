"""A restart never leaves an alarm nobody can close (issue 12, fault A), with a real process
killed by SIGKILL: the leader holds the leader role of one alarm, the service is killed with a
press in flight, another button is pressed while it is down, and the service starts again.
The new alarm is raised before any handset is back, so its roles are unfilled; the leader, busy
with the first alarm when they reconnect, must be offered the leader role of the second as soon
as they are free, so that both alarms get their all-clear."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import websockets

from simulator.button import publish
from tests.conftest import require_mosquitto
from tests.e2e.harness import Handset, Running
from tests.e2e.process import Served, serve_env, start, tagged_office

pytestmark = pytest.mark.timeout(480)  # two real starts on a loaded machine
HEADERS = {"Authorization": "Bearer demo-coordinator"}


def _press(broker: str, device_id: str, seq: int) -> None:
    payload = json.dumps({"event": "press", "seq": seq}).encode()
    publish(broker, f"rollekort/v1/trigger/{device_id}", payload)


@contextlib.asynccontextmanager
async def handset(served: Served, token: str) -> AsyncIterator[Handset]:
    async with Handset.connect(cast(Running, served), token) as h:
        await h.expect("welcome")
        yield h


async def _holding(h: Handset, alarm_id: str) -> None:
    while True:
        update = await h.expect("alarm_update", alarm_id=alarm_id)
        if any(r.get("holder_id") == "lise" for r in update["roles"]):
            return


async def take_what_is_offered_but_the_leader_role(h: Handset) -> None:
    """Deputy and guard take the jobs closest to theirs; the leader role is the leader's."""
    while True:
        try:
            offer = await h.expect("alarm")
        except TimeoutError:
            continue  # nothing offered for a while: keep listening
        except websockets.ConnectionClosed:
            return
        role = offer.get("offer", {}).get("role_id")
        if role and role != "leader":
            await h.send(type="accept", alarm_id=offer["alarm_id"], role_id=role)


async def test_after_a_sigkill_every_alarm_gets_its_all_clear(tmp_path: Path) -> None:
    broker = require_mosquitto()
    config, desk, worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    env = serve_env(tmp_path, config=config, db=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
                    broker=broker)  # fmt: skip
    first = start(tmp_path, env)
    try:
        async with handset(first, "demo-leader") as lise:
            await asyncio.to_thread(_press, broker, desk, 1)
            offer = await lise.expect("alarm", trigger__device_id=desk, offer__role_id="leader")
            held = offer["alarm_id"]
            await lise.send(type="accept", alarm_id=held, role_id="leader")
            await _holding(lise, held)  # the accept is committed before it is pushed
            await asyncio.to_thread(_press, broker, desk, 2)  # in flight as the process dies
            first.kill()
        await asyncio.to_thread(_press, broker, worn, 1)  # pressed while the service is down
        second = start(tmp_path, env)
    finally:
        first.kill()
    try:
        async with (
            handset(second, "demo-deputy") as per,
            handset(second, "demo-guard") as gro,
            handset(second, "demo-leader") as lise,
        ):
            helpers = [
                asyncio.create_task(take_what_is_offered_but_the_leader_role(h)) for h in (per, gro)
            ]
            await lise.send(type="all_clear", alarm_id=held)
            await lise.expect("alarm_closed", alarm_id=held)
            # free now: the unfilled leader role of the alarm raised at restart reaches them
            new = await lise.expect("alarm", trigger__device_id=worn, offer__role_id="leader")
            await lise.send(type="accept", alarm_id=new["alarm_id"], role_id="leader")
            await lise.send(type="all_clear", alarm_id=new["alarm_id"])
            await lise.expect("alarm_closed", alarm_id=new["alarm_id"])
            for task in helpers:
                task.cancel()
        async with httpx.AsyncClient(base_url=second.base) as http:
            alarms: list[dict[str, Any]] = (
                await http.get("/api/v1/alarms", headers=HEADERS)
            ).json()
            timelines = [
                (await http.get(f"/api/v1/alarms/{a['alarm_id']}", headers=HEADERS)).json()
                for a in alarms
            ]
        assert {a["device_id"] for a in alarms} == {desk, worn}
        assert all(a["status"] == "resolved" for a in alarms), alarms
        for body in timelines:
            kinds = [e["type"] for e in body["timeline"]]
            assert kinds.count("AlarmRaised") == 1 and kinds[-1] == "AllClearGiven"
            assert body["chain"]["state"] == "ok"
        [desk_alarm] = [b for b in timelines if b["device_id"] == desk]
        seqs = [e["data"]["seq"] for e in desk_alarm["timeline"] if "seq" in e["data"]]
        assert 2 in seqs, "the press in flight at the kill was lost"
    finally:
        second.stop()
        # the service's persistent session on the shared broker goes with this test
        from app.settings import Settings
        from tests.e2e.harness import forget_session

        forget_session(Settings(broker=broker, mqtt_client_id=env["ROLLEKORT_MQTT_CLIENT_ID"]))
