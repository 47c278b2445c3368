"""Debriefs, incidents, outreach and retention on a real service: a real alarm's debrief cannot
close before everyone involved has after-care; staff log incidents from their handset token; a
missed outreach check-out becomes an alarm on the handsets; old free text is purged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import Handset, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
PER = {"Authorization": "Bearer demo-deputy"}  # Per's handset token


def with_outreach_device(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["devices"].append(
        {"id": "outreach", "family": "native", "kind": "worn", "location": "back-office",
         "holder": "kari"}
    )  # fmt: skip
    path = tmp / "office-outreach.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def now() -> datetime:
    return datetime.now(UTC)


async def test_debrief_life_cycle(sqlite_url: str) -> None:
    async with (
        service(settings_for("embedded", sqlite_url)) as running,
        httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http,
    ):
        async with Handset.connect(running, "demo-guard") as guard:
            await guard.expect("welcome")
            async with Handset.connect(running, "demo-leader") as leader:
                await leader.expect("welcome")
                await asyncio.to_thread(press, running.broker_url, "desk-1")
                offer = await leader.expect("alarm", offer__role_id="leader")
                alarm_id = offer["alarm_id"]
                await guard.expect("alarm", alarm_id=alarm_id, offer__role_id="guard")
                await guard.send(type="accept", alarm_id=alarm_id, role_id="guard")
                await guard.send(type="need_help", alarm_id=alarm_id)
                await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
                await leader.send(type="all_clear", alarm_id=alarm_id)
                await leader.expect("alarm_closed", alarm_id=alarm_id)
        for _ in range(50):
            listed = (await http.get("/api/v1/offices/demo/debriefs")).json()
            if listed:
                break
            await asyncio.sleep(0.1)
        [debrief] = listed
        assert debrief["alarm"]["alarm_id"] == alarm_id and debrief["status"] == "open"
        # Kari sits at the reception desk (the office file's roster): she pressed desk-1, so she
        # is owed after-care like the guard and the leader (req. 28)
        assert set(debrief["missing_aftercare"]) == {"gro", "lise", "kari"}
        assert "client" in debrief["free_text_notice"] and "365 days" in debrief["free_text_notice"]
        path = f"/api/v1/debriefs/{debrief['debrief_id']}"
        refused = await http.post(f"{path}/close")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "aftercare_missing"
        references = [
            {"kind": "deviation", "ref": "Avvik 2026-113", "reporting_line": "state"},
            {"kind": "deviation", "ref": "K-2026-7", "reporting_line": "municipal"},
            {"kind": "police", "ref": "Anmeldelse 2026/41", "reporting_line": "state"},
        ]
        edited = await http.patch(
            path,
            json={"what_happened": "Bruker ble høylytt ved skranken.",
                  "what_we_learn": "Vekter kom innen et halvt minutt.",
                  "what_we_change": "Øve politikontakt oftere.", "references": references},
        )  # fmt: skip
        assert edited.status_code == 200 and edited.json()["references"] == references
        offered = (now() - timedelta(minutes=1)).isoformat()
        care = (("gro", ["colleague_talk"]), ("lise", ["occupational_health"]), ("kari", ["other"]))
        for person, support in care:
            body = {"person_id": person, "offered": support, "offered_at": offered}
            assert (await http.post(f"{path}/aftercare", json=body)).status_code == 200
        unknown = {"person_id": "client-1", "offered": ["other"], "offered_at": offered}
        assert (await http.post(f"{path}/aftercare", json=unknown)).status_code == 422
        closed = await http.post(f"{path}/close")
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed" and closed.json()["missing_aftercare"] == []
        assert (await http.patch(path, json={"what_we_change": "x"})).status_code == 409
        assert (await http.get(path, headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_incidents_without_an_alarm_and_the_retention_purge(sqlite_url: str) -> None:
    async with (
        service(settings_for("embedded", sqlite_url)) as running,
        httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http,
    ):
        base = "/api/v1/offices/demo"
        verbal = {"kind": "verbal_abuse", "at": now().isoformat(), "location_id": "reception"}
        logged = await http.post(f"{base}/incidents", json=verbal, headers=PER)
        assert logged.status_code == 201, logged.text
        assert logged.json()["free_text_notice"]
        old = {"kind": "threat_phone", "at": (now() - timedelta(days=400)).isoformat(),
               "note": "Ringte og truet saksbehandler."}  # fmt: skip
        assert (await http.post(f"{base}/incidents", json=old)).status_code == 201
        naive = {"kind": "other", "at": "2026-01-01T10:00:00"}
        assert (await http.post(f"{base}/incidents", json=naive)).status_code == 422
        assert (await http.get(f"{base}/statistics", headers=PER)).status_code == 403
        stats = (await http.get(f"{base}/statistics")).json()
        assert stats["incidents"] == {"total": 1, "by_kind": {"verbal_abuse": 1}}
        assert stats["alarms"] == {"real": 0, "drill": 0, "test": 0}

        assert (await http.put(f"{base}/retention", json={"free_text_days": 0})).status_code == 422
        put = await http.put(f"{base}/retention", json={"free_text_days": 365})
        assert put.json() == {"office_id": "demo", "free_text_days": 365}
        purged = (await http.post(f"{base}/retention/purge")).json()
        assert purged["incidents"] == 1 and purged["debriefs"] == 0
        since = {"from": (now() - timedelta(days=500)).isoformat()}
        listed = (await http.get(f"{base}/incidents", params=since)).json()
        by_kind = {i["kind"]: i for i in listed}
        assert by_kind["threat_phone"]["note"] is None
        assert by_kind["threat_phone"]["purged_at"] is not None
        assert by_kind["verbal_abuse"]["purged_at"] is None
        no_device = await http.post(
            f"{base}/outreach",
            json={"where": "Kafé", "planned_end": (now() + timedelta(hours=1)).isoformat()},
            headers=PER,
        )
        assert no_device.status_code == 201 and no_device.json()["alarm_problem"]
        session_id = no_device.json()["session_id"]
        panic = await http.post(f"{base}/outreach/{session_id}/panic", headers=PER)
        assert panic.status_code == 503 and panic.json()["error"]["code"] == "alarm_not_raised"


async def test_a_missed_outreach_checkout_raises_an_alarm(tmp_path: Path, sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url, config=with_outreach_device(tmp_path))
    async with (
        service(settings) as running,
        httpx.AsyncClient(base_url=running.base, headers=PER) as http,
        Handset.connect(running, "demo-leader") as leader,
    ):
        await leader.expect("welcome")
        body = {
            "where": "Hjemmebesøk, Storgata",
            "planned_end": (now() + timedelta(seconds=3)).isoformat(),  # slack for a busy host
            "grace_s": 1,
            "companions": [],
            "checklist": {"environment_risk": True},
        }
        started = await http.post("/api/v1/offices/demo/outreach", json=body)
        assert started.status_code == 201, started.text
        session = started.json()
        assert session["person_id"] == "per" and session["advice"] == ["risk_go_two"]
        assert session["alarm_problem"] is None
        offer = await leader.expect("alarm", offer__role_id="leader")
        assert offer["trigger"]["device_id"] == "outreach" and offer["mode"] == "real"
        assert offer["trigger"]["presser"] == "Per (vara)"  # the worker out, not the holder
        path = f"/api/v1/offices/demo/outreach/{session['session_id']}"
        for _ in range(50):  # the offer is pushed before the alarm is committed and recorded
            listed = (await http.get("/api/v1/offices/demo/outreach")).json()
            if listed[0]["status"] != "active":
                break
            await asyncio.sleep(0.1)
        assert listed[0]["status"] == "alarmed" and listed[0]["alarm_reason"] == "overdue"
        assert listed[0]["alarm_id"] == offer["alarm_id"]
        done = await http.post(f"{path}/checkout", json={"note": "Alt i orden, telefonen døde."})
        assert done.json()["status"] == "checked_out" and done.json()["where"]  # kept: alarm
        others = await http.get("/api/v1/offices/demo/outreach", headers=COORDINATOR)
        assert len(others.json()) == 1
