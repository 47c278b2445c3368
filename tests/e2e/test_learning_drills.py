"""Drills on a real service: a drill window makes a press a drill on every handset, the
co-located office's too; the drill is scored, kept out of the real statistics and opens no
debrief; and no statistics, readiness or scorecard answer names a person."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, Running, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
PEOPLE = {"lise", "per", "gro", "kari"}
PERSON_KEYS = {"person_id", "person_ids", "holder", "holder_id", "persons", "people", "name"}


def building(tmp: Path) -> Path:
    """The demo office and a child-welfare office in the same building sharing their alarms."""
    nav = yaml.safe_load(DEMO_OFFICE.read_text())
    bv = yaml.safe_load(yaml.safe_dump(nav))
    bv["office"].update(id="bv", name="Barnevernet")
    for device in bv["devices"]:
        device["id"] = f"bv-{device['id']}"
    for handset in bv["handsets"]:
        handset["token"] = handset["token"].replace("demo-", "demo-bv-")
    bv["api_tokens"] = [{"token": "demo-bv-coordinator", "role": "coordinator", "offices": ["bv"]}]
    nav["sharing"] = [{"office": "bv", "policy": "notify"}]
    bv["sharing"] = [{"office": "demo", "policy": "notify"}]  # sharing is mutual
    folder = tmp / "building"
    folder.mkdir()
    (folder / "nav.yaml").write_text(yaml.safe_dump(nav, allow_unicode=True, sort_keys=False))
    (folder / "bv.yaml").write_text(yaml.safe_dump(bv, allow_unicode=True, sort_keys=False))
    return folder


async def alarm_handled(running: Running, leader: Handset, neighbour: Handset | None) -> str:
    """Press desk-1; the leader takes the role and gives the all-clear. Returns the mode seen."""
    await asyncio.to_thread(press, running.broker_url, "desk-1")
    offer = await leader.expect("alarm", offer__role_id="leader")
    if neighbour is not None:
        notice = await neighbour.expect("alarm_notice", alarm_id=offer["alarm_id"])
        assert notice["mode"] == offer["mode"] and notice["shared"] is True
    await leader.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
    await leader.send(type="all_clear", alarm_id=offer["alarm_id"])
    await leader.expect("alarm_closed", alarm_id=offer["alarm_id"])
    return str(offer["mode"])


async def settled(http: httpx.AsyncClient, path: str, done: Any) -> Any:
    """The answer once `done(body)` holds (the journal commits just after the push)."""
    for _ in range(50):
        body = (await http.get(path)).json()
        if done(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path}: {body}")


def names_nobody(body: Any) -> None:
    if isinstance(body, dict):
        for key, value in body.items():
            assert key not in PERSON_KEYS, key
            names_nobody(value)
    elif isinstance(body, list):
        for value in body:
            names_nobody(value)
    else:
        assert body not in PEOPLE, body


async def test_a_drill_is_labelled_everywhere_scored_and_kept_out_of_real_statistics(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = settings_for("embedded", sqlite_url, config=building(tmp_path))
    async with (
        service(settings) as running,
        httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http,
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-bv-leader") as neighbour,
    ):
        await leader.expect("welcome")
        await neighbour.expect("welcome")
        started = await http.post("/api/v1/offices/demo/drills", json={"realism": "soft"})
        assert started.status_code == 201, started.text
        drill = started.json()
        assert drill["realism"] == "soft" and drill["ended_at"] is None
        again = await http.post("/api/v1/offices/demo/drills", json={})
        assert again.status_code == 409 and again.json()["error"]["code"] == "drill_open"
        ready = (await http.get("/api/v1/offices/demo/readiness")).json()
        assert ready["drill_open"]["drill_id"] == drill["drill_id"]

        wired = "is the intake's mode_for = learning.drills.mode_for wired in app/main.py?"
        assert await alarm_handled(running, leader, neighbour) == "drill", wired
        ended = await http.post(
            f"/api/v1/offices/demo/drills/{drill['drill_id']}/end",
            json={"evaluation": "Lederen var rask; vekter var ikke til stede."},
        )
        assert ended.status_code == 200 and ended.json()["ended_at"] is not None
        assert await alarm_handled(running, leader, neighbour) == "real"

        stats = await settled(
            http,
            "/api/v1/offices/demo/statistics",
            lambda b: b["alarms"]["real"] == 1 and b["real"]["resolved"] == 1,
        )
        assert stats["alarms"] == {"real": 1, "drill": 1, "test": 0}
        assert stats["drill"]["time_to_first_accept"]["count"] == 1
        assert stats["real"]["time_to_first_accept"]["count"] == 1
        assert stats["real"]["roles_unclaimed"] == {"guard": 1, "police-contact": 1}
        history = (await http.get("/api/v1/offices/demo/drills")).json()
        card = history[0]["scorecard"]
        assert card["alarms"] == 1 and card["time_to_first_accept_s"] >= 0
        assert card["roles_not_taken"] == ["guard", "police-contact"]
        assert history[0]["comparison"]["earlier_drills"] == 0
        debriefs = (await http.get("/api/v1/offices/demo/debriefs")).json()
        assert len(debriefs) == 1 and debriefs[0]["status"] == "open"  # the real alarm's only
        ready = (await http.get("/api/v1/offices/demo/readiness")).json()
        assert ready["drill_overdue"] is False and ready["last_drill_at"] is not None
        assert ready["open_debriefs"] == 1 and ready["drill_open"] is None
        for body in (stats, history, ready):
            names_nobody(body)
