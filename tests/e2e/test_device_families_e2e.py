"""A Zigbee2MQTT SOS button and a Shelly Gen1 button raise alarms through the real service, as
they really publish: the clearing message, the same press on a second topic and a retained
replay raise nothing more, and a new press after the alarm closed raises a new one."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import yaml

from simulator.button import publish
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for


def office_with_families(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["devices"] += [
        {"id": "sos-1", "family": "zigbee2mqtt", "kind": "fixed", "location": "reception",
         "address": "zigbee2mqtt/Resepsjon SOS", "feedback": {"payload": {"led": "blink"}}},
        {"id": "shelly-1", "family": "shelly", "kind": "fixed", "location": "reception",
         "address": "shellies/shellybutton1-A1B2C3"},
    ]  # fmt: skip
    path = tmp / f"families-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


async def close(leader: Handset, alarm_id: str) -> None:
    await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
    await leader.send(type="all_clear", alarm_id=alarm_id)
    await leader.expect("alarm_closed", alarm_id=alarm_id)


async def test_family_buttons_raise_one_alarm_per_real_press(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_with_families(tmp_path))
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        url = running.broker_url
        z2m = "zigbee2mqtt/Resepsjon SOS"
        press = json.dumps({"action": "emergency", "battery": 90}).encode()
        await asyncio.to_thread(publish, url, z2m, press)
        await asyncio.to_thread(publish, url, z2m, b'{"action": "", "battery": 90}')
        await asyncio.to_thread(publish, url, f"{z2m}/action", b"emergency")
        first = await leader.expect("alarm", trigger__device_id="sos-1", offer__role_id="leader")
        assert first["level"] == "acute"
        await close(leader, first["alarm_id"])

        shelly = "shellies/shellybutton1-A1B2C3/input_event/0"
        await asyncio.to_thread(publish, url, shelly, b'{"event":"S","event_cnt":7}')
        await asyncio.to_thread(publish, url, shelly, b'{"event":"S","event_cnt":7}', retain=True)
        second = await leader.expect(
            "alarm", trigger__device_id="shelly-1", offer__role_id="leader"
        )
        await close(leader, second["alarm_id"])
        await asyncio.sleep(0.5)
        again = [
            f for f in leader.inbox if f["type"] == "alarm" and f["alarm_id"] != second["alarm_id"]
        ]
        assert not [f for f in again if f["trigger"]["device_id"] == "shelly-1"]
        await asyncio.to_thread(publish, url, shelly, b'{"event":"S","event_cnt":8}')
        third = await leader.expect("alarm", trigger__device_id="shelly-1", offer__role_id="leader")
        assert third["alarm_id"] != second["alarm_id"]


async def test_a_family_button_that_can_blink_is_told_in_its_own_format(
    tmp_path: Path, sqlite_url: str
) -> None:
    import aiomqtt

    from app.adapters.mqtt.url import BrokerAddress

    settings = settings_for("embedded", sqlite_url, config=office_with_families(tmp_path))
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        address = BrokerAddress.parse(running.broker_url)
        async with aiomqtt.Client(address.host, address.port) as client:
            await client.subscribe("zigbee2mqtt/Resepsjon SOS/set", qos=1)
            await asyncio.to_thread(
                publish, running.broker_url, "zigbee2mqtt/Resepsjon SOS", b'{"action":"emergency"}'
            )
            async with asyncio.timeout(10):
                message = await anext(aiter(client.messages))
        assert json.loads(bytes(message.payload)) == {"led": "blink"}
