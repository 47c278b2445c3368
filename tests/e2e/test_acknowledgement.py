"""Staff count in a pool only after acknowledging the active role card, through the handset."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for


def office_with_pool(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["pools"] = {"back": ["per", "gro"]}
    data["rolecard"]["roles"].append(
        {
            "id": "reserve",
            "title": "Reserve i bakrommet",
            "stance": "assess_from_door",
            "required": False,
            "accept_within_s": 20,
            "assignment": {"mode": "pool", "pool": "back"},
            "steps": ["Gå til døra mot mottaket", "Se før du går inn"],
        }
    )
    path = tmp / f"pool-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


async def test_only_staff_who_acknowledged_the_card_are_offered_a_pool_role(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_with_pool(tmp_path))
    async with service(settings) as running:
        async with Handset.connect(running, "demo-deputy") as per:
            welcome = await per.expect("welcome")
            assert welcome["acknowledged"] is False and welcome["intervention_policy"]
            await per.send(type="acknowledge")
            acked = await per.expect("acknowledged")
            assert acked["rolecard_version"] == welcome["rolecard_version"]
        async with (
            Handset.connect(running, "demo-deputy") as per,
            Handset.connect(running, "demo-guard") as gro,
        ):
            assert (await per.expect("welcome"))["acknowledged"] is True
            assert (await gro.expect("welcome"))["acknowledged"] is False
            await asyncio.to_thread(press, running.broker_url, "desk-1")
            offer = await per.expect("alarm", offer__role_id="reserve")
            await gro.expect("alarm", alarm_id=offer["alarm_id"], offer__role_id="guard")
            await gro.expect("alarm_update", alarm_id=offer["alarm_id"])
            assert not [
                f for f in gro.inbox if f["type"] == "alarm" and f["offer"]["role_id"] == "reserve"
            ]
