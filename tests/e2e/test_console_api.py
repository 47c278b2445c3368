"""The console's HTTP API on a real service: whoami, the live list, and the debrief of an alarm
as JSON, CSV and a printable page, all behind the bearer token and typed in /openapi.json."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import httpx
import pytest

from simulator.button import press
from tests.e2e.harness import Handset, Running, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


@pytest.fixture
async def running(sqlite_url: str) -> AsyncIterator[Running]:
    async with service(settings_for("embedded", sqlite_url)) as running:
        yield running


async def resolved_alarm(running: Running) -> str:
    """Leader takes the role and ticks step 2, the deputy declines, the leader ends it."""
    async with (
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-deputy") as deputy,
    ):
        await leader.expect("welcome")
        await deputy.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        alarm_id: str = (await leader.expect("alarm", offer__role_id="leader"))["alarm_id"]
        await deputy.expect("alarm", alarm_id=alarm_id, offer__role_id="police-contact")
        await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
        await leader.send(type="step_done", alarm_id=alarm_id, role_id="leader", step=2)
        await deputy.send(
            type="decline", alarm_id=alarm_id, role_id="police-contact", reason="=1+1"
        )
        await leader.send(type="all_clear", alarm_id=alarm_id)
        await leader.expect("alarm_closed", alarm_id=alarm_id)
    return alarm_id


async def test_whoami_and_the_live_list(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        me = (await http.get("/api/v1/whoami")).json()
        assert me == {"role": "coordinator", "offices": [{"office_id": "demo", "name": "NAV Demo"}]}
        assert (await http.get("/api/v1/console/alarms")).json() == []
        async with Handset.connect(running, "demo-guard") as guard:
            await guard.expect("welcome")
            await asyncio.to_thread(press, running.broker_url, "desk-1")
            offer = await guard.expect("alarm", offer__role_id="guard")
            await guard.send(type="accept", alarm_id=offer["alarm_id"], role_id="guard")
            for _ in range(50):
                live = (await http.get("/api/v1/console/alarms")).json()
                roles = {r["role_id"]: r for r in live[0]["roles"]} if live else {}
                if roles.get("guard", {}).get("state") == "accepted":
                    break
                await asyncio.sleep(0.1)
        alarm = live[0]
        assert alarm["status"] == "open" and alarm["location_name"] == "Publikumsmottak"
        assert alarm["zone"] == "public" and alarm["office_name"] == "NAV Demo"
        assert roles["guard"]["holder"] == "Gro (vekter)" and roles["guard"]["steps_total"] == 4
        assert roles["leader"]["required"] and roles["leader"]["leader"]
        forbidden = await http.get("/api/v1/console/alarms", params={"office_id": "elsewhere"})
        assert forbidden.status_code == 403


async def test_debrief_json_csv_and_html(running: Running) -> None:
    alarm_id = await resolved_alarm(running)
    base = f"/api/v1/alarms/{alarm_id}/debrief"
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        body = (await http.get(f"{base}.json")).json()
        csv_response = await http.get(f"{base}.csv")
        html = await http.get(f"{base}.html", params={"lang": "en"})
    assert body["alarm"]["status"] == "resolved" and body["summary"]["outcome"] == "resolved"
    times = {r["role_id"]: r for r in body["role_times"]}
    assert times["leader"]["holder"] == "Lise (leder)"
    assert times["leader"]["offer_to_accept_s"] >= 0
    assert times["leader"]["accept_to_first_step_s"] >= 0
    assert times["leader"]["steps_done"] == [2] and times["leader"]["steps_total"] == 5
    kinds = {(d["kind"], d["role_id"]) for d in body["deviations"]}
    assert ("declined", "police-contact") in kinds and ("not_taken", "guard") in kinds
    declined = next(d for d in body["deviations"] if d["kind"] == "declined")
    assert declined["persons"] == ["Per (vara)"]
    assert body["events"][0]["type"] == "PressReceived" and body["events"][0]["since_press_s"] == 0
    assert body["people"]["lise"] == "Lise (leder)"

    assert csv_response.headers["content-type"].startswith("text/csv")
    assert f'filename="debrief-{alarm_id}.csv"' in csv_response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.text)))
    assert rows[0] == [
        "alarm_id", "seq", "at", "seconds_since_press", "type", "actor", "role", "person", "detail"
    ]  # fmt: skip
    assert len(rows) == len(body["events"]) + 1
    assert {r[0] for r in rows[1:]} == {alarm_id}  # every row says which alarm it is about
    decline_row = next(r for r in rows if r[4] == "RoleDeclined")
    assert decline_row[6:9] == ["police-contact", "Per (vara)", "reason: =1+1"]
    step_row = next(r for r in rows if r[4] == "StepCompleted")
    assert step_row[5] == "person:lise" and step_row[8] == "step 2"

    assert html.headers["content-type"].startswith("text/html")
    assert "Times per role" in html.text and "Lise (leder)" in html.text
    assert "<script" not in html.text


async def test_console_routes_want_a_token_are_scoped_and_typed(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        for path in ("/api/v1/whoami", "/api/v1/console/alarms", "/api/v1/alarms/a-x/debrief.json"):
            assert (await http.get(path)).status_code == 401, path
        missing = await http.get("/api/v1/alarms/a-nothing/debrief.csv", headers=COORDINATOR)
        assert missing.status_code == 404
        assert (await http.get("/console")).headers["content-type"].startswith("text/html")
        worker = await http.get("/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        schema = (await http.get("/openapi.json")).json()
    paths = schema["paths"]
    json_ok = paths["/api/v1/alarms/{alarm_id}/debrief.json"]["get"]["responses"]["200"]
    assert json_ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Debrief"
    }
    assert (
        "text/csv"
        in paths["/api/v1/alarms/{alarm_id}/debrief.csv"]["get"]["responses"]["200"]["content"]
    )
    assert (
        "text/html"
        in paths["/api/v1/alarms/{alarm_id}/debrief.html"]["get"]["responses"]["200"]["content"]
    )
    assert (
        "WhoAmI" in schema["components"]["schemas"]
        and "LiveAlarm" in schema["components"]["schemas"]
    )
    assert "/console" not in paths and "/sw.js" not in paths
