"""With an `mqtt:` section, the service's embedded broker lets each device publish only on its
own topics: a press forged on another button's topic raises nothing, an anonymous client gets
nowhere, and the device's own press raises the alarm as always."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from app.service.dispatcher import alarm_id_for
from app.service.ports import PressKey
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for


def office_with_accounts(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["mqtt"] = {
        "service": {"username": "rollekort", "password": "service-secret"},
        "clients": [
            {"username": "desk", "password": "desk-secret", "devices": ["desk-1"]},
            {"username": "pendant", "password": "pendant-secret", "devices": ["worn-1"]},
        ],
    }
    path = tmp / f"acl-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def publish_as(port: int, user: str | None, password: str | None, topic: str, seq: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    if user is not None:
        client.username_pw_set(user, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        body = json.dumps({"event": "press", "seq": seq})
        client.publish(topic, body, qos=1).wait_for_publish(3)
    finally:
        client.disconnect()
        client.loop_stop()


async def test_only_a_device_itself_can_press_its_button(tmp_path: Path, sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_with_accounts(tmp_path))
    port = settings.embedded_broker_port
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        topic = "rollekort/v1/trigger/desk-1"
        await asyncio.to_thread(publish_as, port, "pendant", "pendant-secret", topic, 1)
        with contextlib.suppress(OSError, RuntimeError, ValueError):  # refused at login
            await asyncio.to_thread(publish_as, port, None, None, topic, 2)
        await asyncio.to_thread(publish_as, port, "desk", "desk-secret", topic, 3)
        offer = await leader.expect("alarm", trigger__device_id="desk-1", offer__role_id="leader")
        # the first alarm the leader sees is the device's own press (seq 3), not the forged one
        assert offer["alarm_id"] == alarm_id_for(PressKey("desk-1", 3))
        await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        while True:  # an answer is pushed only after it (and the press before it) is committed
            update = await leader.expect("alarm_update", alarm_id=offer["alarm_id"])
            if any(r.get("holder_id") == "lise" for r in update["roles"]):
                break
        async with httpx.AsyncClient(base_url=running.base) as http:
            headers = {"Authorization": "Bearer demo-coordinator"}
            alarms = (await http.get("/api/v1/alarms", headers=headers)).json()
        assert [a["alarm_id"] for a in alarms] == [offer["alarm_id"]]
