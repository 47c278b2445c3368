"""Staff count in a pool only after acknowledging the active role card, through the handset."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
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


def office_briefed_only(tmp: Path) -> Path:
    """The demo office as a real office is: only briefed staff are offered a role."""
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["rolecard"]["briefed_only"] = True
    path = tmp / f"briefed-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


async def test_unbriefed_staff_get_a_notice_not_a_role_and_readiness_names_the_gap(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_briefed_only(tmp_path))
    coordinator = {"Authorization": "Bearer demo-coordinator"}
    async with (
        service(settings) as running,
        httpx.AsyncClient(base_url=running.base, headers=coordinator) as http,
    ):
        ready = (await http.get("/api/v1/offices/demo/readiness")).json()
        assert ready["unbriefed"] == 4  # lise, per, gro, kari: a count, never who
        assert len(ready["briefing_gaps"]) == 3 and "Leder" in ready["briefing_gaps"][0]
        async with (
            Handset.connect(running, "demo-leader") as lise,
            Handset.connect(running, "demo-deputy") as per,
        ):
            await lise.expect("welcome")
            await per.expect("welcome")
            await per.send(type="acknowledge")
            await per.expect("acknowledged")
            ready = (await http.get("/api/v1/offices/demo/readiness")).json()
            assert ready["unbriefed"] == 3 and ready["briefing_gaps"] == []
            await asyncio.to_thread(press, running.broker_url, "desk-1")
            offer = await per.expect("alarm", offer__role_id="leader")  # lise is not briefed
            notice = await lise.expect("alarm_notice", alarm_id=offer["alarm_id"])
            assert notice["location"]["id"] == "reception"
            assert not [f for f in lise.inbox if f["type"] == "alarm"]
