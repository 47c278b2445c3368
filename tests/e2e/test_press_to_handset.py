"""End to end on loopback: a press published over MQTT becomes role offers on real websockets,
the answers land on the timeline, and the trigger feels feedback. Runs with the embedded broker
and SQLite, and with Mosquitto and PostgreSQL where this machine has them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiomqtt
import httpx
import pytest

from app.adapters.mqtt.ingest import BrokerAddress
from simulator.button import press
from tests.conftest import fresh_postgres, require_mosquitto
from tests.e2e.harness import Handset, Running, forget_session, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


@pytest.fixture(params=["embedded+sqlite", "mosquitto+postgres"])
async def running(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Running]:
    if request.param == "embedded+sqlite":
        async with service(settings_for("embedded", sqlite_url)) as running:
            yield running
        return
    broker = require_mosquitto()
    async with fresh_postgres() as db:
        settings = settings_for(broker, db)
        async with service(settings) as running:
            yield running
        forget_session(settings)


async def feedback_states(running: Running, device_id: str, into: list[str]) -> None:
    address = BrokerAddress.parse(running.broker_url)
    async with aiomqtt.Client(address.host, address.port) as client:
        await client.subscribe(f"rollekort/v1/feedback/{device_id}", qos=1)
        async for message in client.messages:
            into.append(json.loads(bytes(message.payload))["state"])
            if into[-1] == "resolved":
                return


async def get_alarm(running: Running, alarm_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=running.base) as http:
        response = await http.get(f"/api/v1/alarms/{alarm_id}", headers=COORDINATOR)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


async def test_a_press_becomes_offers_answers_and_a_full_timeline(running: Running) -> None:
    feedback: list[str] = []
    listener = asyncio.create_task(feedback_states(running, "desk-1", feedback))
    await asyncio.sleep(0.3)
    async with (
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-guard") as guard,
        Handset.connect(running, "demo-deputy") as deputy,
    ):
        welcome = await leader.expect("welcome")
        assert welcome["person_id"] == "lise"
        # offered compression, the service declines it: deflating each frame slowed every offer
        assert "Sec-WebSocket-Extensions" not in leader.ws.response.headers
        assert "leader" in [r["role_id"] for r in welcome["standing_roles"]]
        for h in (guard, deputy):
            await h.expect("welcome")

        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")

        offer = await leader.expect("alarm", offer__role_id="leader")
        alarm_id = offer["alarm_id"]
        assert offer["level"] == "acute" and offer["mode"] == "real"
        assert offer["location"]["id"] == "reception" and offer["trigger"]["kind"] == "fixed"
        assert [s["n"] for s in offer["offer"]["steps"]] == list(
            range(1, len(offer["offer"]["steps"]) + 1)
        )
        await guard.expect("alarm", alarm_id=alarm_id, offer__role_id="guard")
        await deputy.expect("alarm", alarm_id=alarm_id, offer__role_id="police-contact")

        await guard.send(type="accept", alarm_id=alarm_id, role_id="guard")
        update = await leader.expect("alarm_update", alarm_id=alarm_id)
        while not any(
            r["role_id"] == "guard" and r.get("holder_id") == "gro" for r in update["roles"]
        ):
            update = await leader.expect("alarm_update", alarm_id=alarm_id)
        await guard.send(type="step_done", alarm_id=alarm_id, role_id="guard", step=1)
        await deputy.send(
            type="decline", alarm_id=alarm_id, role_id="police-contact", reason="busy"
        )
        # declined: the police-contact role goes to its next candidate at once (lise)
        await leader.expect("alarm", alarm_id=alarm_id, offer__role_id="police-contact")
        await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
        # not the leader: the guard cannot end the alarm
        await guard.send(type="all_clear", alarm_id=alarm_id)
        refused = await guard.expect("error", ref=alarm_id)
        assert refused["code"] == "not_leader"
        await leader.send(type="all_clear", alarm_id=alarm_id, note="calm again")
        for h in (leader, guard, deputy):
            closed = await h.expect("alarm_closed", alarm_id=alarm_id)
            assert closed["outcome"] == "resolved"

    body = await get_alarm(running, alarm_id)
    assert body["status"] == "resolved" and body["level"] == "acute"
    kinds = [e["type"] for e in body["timeline"]]
    assert kinds[:3] == ["PressReceived", "AlarmRaised", "RoleOffered"]
    for kind in ("RoleAccepted", "StepCompleted", "RoleDeclined", "AllClearGiven"):
        assert kind in kinds
    actors = {(e["type"], e["actor"]) for e in body["timeline"]}
    assert ("PressReceived", "device:desk-1") in actors
    assert ("RoleAccepted", "person:gro") in actors
    assert ("AllClearGiven", "person:lise") in actors
    assert all(e["at"] for e in body["timeline"])
    assert [e["seq"] for e in body["timeline"]] == list(range(1, len(kinds) + 1))
    await asyncio.wait_for(listener, 10)
    assert feedback[0] == "received" and "accepted" in feedback


async def test_duplicates_and_bad_messages_are_rejected_and_the_next_press_still_works(
    running: Running,
) -> None:
    from simulator.button import publish

    url = running.broker_url
    async with Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        bad = [
            b"not json",
            b"[1, 2]",
            b'{"event": "press", "seq": "7"}',
            b'{"event": "explode", "seq": 7}',
            b'{"event": "press", "seq": 1, "pad": "' + b"x" * 5000 + b'"}',
        ]
        for payload in bad:
            await asyncio.to_thread(publish, url, "rollekort/v1/trigger/desk-1", payload)
        await asyncio.to_thread(
            publish, url, "rollekort/v1/trigger/no-such-device", b'{"event":"press","seq":1}'
        )
        dup = b'{"event": "press", "seq": 424242, "gesture": "single"}'
        await asyncio.to_thread(publish, url, "rollekort/v1/trigger/desk-1", dup)
        await asyncio.to_thread(publish, url, "rollekort/v1/trigger/desk-1", dup)
        offer = await leader.expect("alarm", offer__role_id="leader")
        await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        await leader.send(type="all_clear", alarm_id=offer["alarm_id"])
        await leader.expect("alarm_closed", alarm_id=offer["alarm_id"])
        await leader.send(type="accept", alarm_id="x", role_id="leader", junk=1)
        await leader.send(type="launch")
        assert (await leader.expect("error"))["code"] in ("unknown_alarm", "bad_frame")

    async with httpx.AsyncClient(base_url=running.base) as http:
        alarms = (await http.get("/api/v1/alarms", headers=COORDINATOR)).json()
        metrics = (await http.get("/metrics")).text
    assert [a["alarm_id"] for a in alarms] == [offer["alarm_id"]]  # one alarm for the duplicate
    for reason in ("not_json", "not_object", "invalid", "too_large", "unknown_device"):
        assert f'rollekort_mqtt_rejected_total{{reason="{reason}"}}' in metrics, reason
    assert "rollekort_duplicate_presses_total 1.0" in metrics


async def test_wrong_or_missing_hello_closes_with_4401(running: Running) -> None:
    import websockets

    async with websockets.connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": "not-a-token"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    async with websockets.connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "accept", "alarm_id": "a", "role_id": "b"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_the_api_wants_a_token_and_health_endpoints_answer(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        assert (await http.get("/api/v1/alarms")).status_code == 401
        assert (
            await http.get("/api/v1/alarms", headers={"Authorization": "Bearer nope"})
        ).status_code == 401
        assert (await http.get("/api/v1/alarms/a-nothing", headers=COORDINATOR)).status_code == 404
        assert (await http.get("/healthz")).json()["status"] == "ok"
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "rollekort_handsets_connected" in (await http.get("/metrics")).text
        schema = (await http.get("/openapi.json")).json()
        assert "/api/v1/alarms/{alarm_id}" in schema["paths"]
