"""A pendant dies: its broker publishes its Last Will, and the leader's handset shows the office's
coverage DEGRADED with the reason; when the pendant is back, coverage is OK again."""

from __future__ import annotations

import asyncio
import json

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.ingest import BrokerAddress
from simulator.button import publish_status
from tests.e2e.harness import Handset, Running, service, settings_for


def pendant_that_dies(running: Running) -> None:
    address = BrokerAddress.parse(running.broker_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="pendant-worn-1")
    client.will_set("rollekort/v1/status/worn-1", json.dumps({"online": False}), qos=1, retain=True)
    client.connect(address.host, address.port, keepalive=5)
    client.loop_start()
    info = client.publish(
        "rollekort/v1/status/worn-1",
        json.dumps({"online": True, "battery": 80}),
        qos=1,
        retain=True,
    )
    info.wait_for_publish(5)
    client.loop_stop()
    sock = client.socket()
    assert sock is not None
    sock.close()  # the battery falls out: no DISCONNECT, so the broker sends the will


async def until_coverage(handset: Handset, status: str) -> dict[str, object]:
    while True:
        notice = await handset.expect("notice", kind="coverage")
        if notice["coverage"]["status"] == status:
            return notice["coverage"]


async def test_a_dead_pendant_shows_degraded_on_the_leaders_handset(sqlite_url: str) -> None:
    async with (
        service(settings_for("embedded", sqlite_url)) as running,
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-deputy") as deputy,
        Handset.connect(running, "demo-guard") as guard,
    ):
        for h in (leader, deputy, guard):
            await h.expect("welcome")
        await asyncio.to_thread(publish_status, running.broker_url, "desk-1", True, battery=90)
        await until_coverage(leader, "ok")
        await asyncio.to_thread(pendant_that_dies, running)
        degraded = await until_coverage(leader, "degraded")
        assert any("worn-1" in r and "offline" in r for r in degraded["reasons"])  # type: ignore[attr-defined]
        await asyncio.to_thread(publish_status, running.broker_url, "worn-1", True, battery=80)
        assert (await until_coverage(leader, "ok"))["reasons"] == []
        async with httpx.AsyncClient(base_url=running.base) as http:
            body = (
                await http.get(
                    "/api/v1/offices/demo/coverage",
                    headers={"Authorization": "Bearer demo-coordinator"},
                )
            ).json()
        assert body["status"] == "ok"
        assert {d["device_id"] for d in body["devices"]} == {"desk-1", "worn-1"}
        assert "worn-1" in body["untested"]  # never given a routine test
