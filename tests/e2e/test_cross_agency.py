"""Offices in one building: NAV shares its alarms with the child-welfare office next door, whose
handsets see them labelled as NAV's, and see them end; the neighbour's own alarms stay its own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for


def neighbour(data: dict[str, Any]) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(data))
    data["office"].update(id="bv", name="Barnevernet")
    for device in data["devices"]:
        device["id"] = f"bv-{device['id']}"
    for handset in data["handsets"]:
        handset["token"] = handset["token"].replace("demo-", "demo-bv-")
    data["api_tokens"] = [
        {"token": "demo-bv-coordinator", "role": "coordinator", "offices": ["bv"]}
    ]
    return data


def building(tmp: Path, mutual: bool = True) -> Path:
    """NAV and BV in one building; sharing is mutual, so each office's file shares with the
    other (with `mutual=False` only NAV's does, which must have no effect)."""
    nav = yaml.safe_load(DEMO_OFFICE.read_text())
    bv = neighbour(nav)
    nav["sharing"] = [{"office": "bv", "policy": "notify"}]
    bv["sharing"] = [{"office": "demo", "policy": "notify"}] if mutual else []
    folder = tmp / "building"
    folder.mkdir()
    (folder / "nav.yaml").write_text(yaml.safe_dump(nav, allow_unicode=True, sort_keys=False))
    (folder / "bv.yaml").write_text(yaml.safe_dump(bv, allow_unicode=True, sort_keys=False))
    return folder


async def test_a_shared_alarm_reaches_the_neighbour_labelled_with_its_owner(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=building(tmp_path))
    async with (
        service(settings) as running,
        Handset.connect(running, "demo-leader") as nav_leader,
        Handset.connect(running, "demo-bv-leader") as bv_leader,
    ):
        await nav_leader.expect("welcome")
        assert (await bv_leader.expect("welcome"))["office_id"] == "bv"
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await nav_leader.expect("alarm", offer__role_id="leader")
        notice = await bv_leader.expect("alarm_notice", alarm_id=offer["alarm_id"])
        assert notice["shared"] is True and notice["office_id"] == "demo"
        assert "NAV" in notice["office_name"] and notice["mode"] == "real"
        await nav_leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        await nav_leader.send(type="all_clear", alarm_id=offer["alarm_id"])
        closed = await bv_leader.expect("alarm_closed", alarm_id=offer["alarm_id"])
        assert closed["outcome"] == "resolved"

        await asyncio.to_thread(press, running.broker_url, "bv-desk-1")
        own = await bv_leader.expect("alarm", offer__role_id="leader")
        assert own["office_id"] == "bv"  # and BV shares back: NAV sees it as BV's
        back = await nav_leader.expect("alarm_notice", alarm_id=own["alarm_id"])
        assert back["shared"] is True and back["office_id"] == "bv"


async def test_sharing_without_the_other_office_agreeing_has_no_effect(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=building(tmp_path, mutual=False))
    async with (
        service(settings) as running,
        Handset.connect(running, "demo-leader") as nav_leader,
        Handset.connect(running, "demo-bv-leader") as bv_leader,
    ):
        await nav_leader.expect("welcome")
        await bv_leader.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await nav_leader.expect("alarm", offer__role_id="leader")
        await nav_leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
        await nav_leader.expect("alarm_update", alarm_id=offer["alarm_id"])
        await asyncio.sleep(0.5)
        assert not [f for f in bv_leader.inbox if f.get("alarm_id") == offer["alarm_id"]]
        # the upload check says why, as a warning at the `sharing` entry
        async with httpx.AsyncClient(base_url=running.base) as http:
            nav_file = (Path(settings.config) / "nav.yaml").read_text()
            checked = await http.post(
                "/api/v1/offices/demo/rolecards/validate",
                content=nav_file,
                headers={"Authorization": "Bearer demo-coordinator"},
            )
        [warning] = [p for p in checked.json()["problems"] if p["path"].startswith("sharing")]
        assert warning["severity"] == "warning" and "mutual" in warning["message"]


async def test_an_offer_role_share_lets_the_neighbour_take_a_role_in_our_alarm(
    tmp_path: Path, sqlite_url: str
) -> None:
    folder = building(tmp_path)
    nav = yaml.safe_load((folder / "nav.yaml").read_text())
    nav["sharing"] = [{"office": "bv", "policy": "offer_role", "role": "police-contact"}]
    (folder / "nav.yaml").write_text(yaml.safe_dump(nav, allow_unicode=True, sort_keys=False))
    settings = settings_for("embedded", sqlite_url, config=folder)
    async with (
        service(settings) as running,
        Handset.connect(running, "demo-leader") as nav_leader,
        Handset.connect(running, "demo-bv-guard") as bv_guard,
    ):
        await nav_leader.expect("welcome")
        await bv_guard.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await bv_guard.expect("alarm", offer__role_id="police-contact")
        assert offer["office_id"] == "demo"  # whose alarm it is
        await bv_guard.send(type="accept", alarm_id=offer["alarm_id"], role_id="police-contact")
        while True:
            update = await nav_leader.expect("alarm_update", alarm_id=offer["alarm_id"])
            held = {r["role_id"]: r.get("holder") for r in update["roles"]}
            if held.get("police-contact"):
                break
        assert "Barnevernet" in held["police-contact"]
        await bv_guard.send(
            type="step_done", alarm_id=offer["alarm_id"], role_id="police-contact", step=1
        )
        update = await bv_guard.expect("alarm_update", alarm_id=offer["alarm_id"])
        while not update["last_event"] or update["last_event"]["type"] != "StepCompleted":
            update = await bv_guard.expect("alarm_update", alarm_id=offer["alarm_id"])
