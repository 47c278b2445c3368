"""`simulator.families` through the real service: an office with one device of each family (and
each Tasmota and Shelly generation), each simulated press with all its quirks (clearing message,
second topic, repeated counter, redelivered notification, retained state) raises exactly one
alarm."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import yaml
from typer.testing import CliRunner

from app.cli import cli
from simulator.families import PRESSERS
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for

DEVICES = [
    ("z2m-1", "zigbee2mqtt", "zigbee2mqtt/Resepsjon SOS"),
    ("tas-1", "tasmota", "tasmota_44D83C#1"),
    ("tas-legacy", "tasmota", "cmnd/panic-btn"),
    ("shelly-1", "shelly", "shellies/shellybutton1-A4CF12F45301"),
    ("shelly-2", "shelly", "shellyplusi4-083af2013a00#0"),
    ("esp-1", "esphome", "resepsjon-panikk#panic_button"),
]


def office_with_every_family(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["devices"] += [
        {"id": i, "family": f, "address": a, "kind": "fixed", "location": "reception"}
        for i, f, a in DEVICES
    ]
    path = tmp / f"families-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


async def test_each_simulated_family_press_raises_one_alarm(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_with_every_family(tmp_path))
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        raised: list[str] = []
        for device_id, family, address in DEVICES:
            await asyncio.to_thread(PRESSERS[family], running.broker_url, address)
            alarm = await leader.expect("alarm", trigger__device_id=device_id)
            raised.append(alarm["alarm_id"])
            await leader.send(type="accept", alarm_id=alarm["alarm_id"], role_id="leader")
            await leader.send(type="all_clear", alarm_id=alarm["alarm_id"])
            await leader.expect("alarm_closed", alarm_id=alarm["alarm_id"])
        await asyncio.sleep(1.0)  # any second alarm from a quirk would have come by now
        while True:  # drain what is already on the socket
            try:
                async with asyncio.timeout(0.3):
                    await leader.expect("alarm", never="matches")
            except TimeoutError:
                break
        extra = [f for f in leader.inbox if f["type"] == "alarm" and f["alarm_id"] not in raised]
        assert extra == []
        assert len(set(raised)) == len(DEVICES)


def test_sim_family_command_refuses_an_unknown_family() -> None:
    result = CliRunner().invoke(cli, ["sim", "family", "zwave", "x"])
    assert result.exit_code == 2
    assert "unknown family" in result.output
