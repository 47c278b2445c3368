"""The presser of a fixed button on a real service: Lise checks in at the reception desk from her
handset, presses its button, is not offered her leader role, and hears quietly on her handset
and her button that help is coming and then that it is there; the console names her."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiomqtt
import httpx

from app.adapters.mqtt.ingest import BrokerAddress
from app.adapters.ws.texts import render
from simulator.button import press
from tests.e2e.harness import Handset, Running, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


async def feedback_states(running: Running, device_id: str, into: list[str]) -> None:
    address = BrokerAddress.parse(running.broker_url)
    async with aiomqtt.Client(address.host, address.port) as client:
        await client.subscribe(f"rollekort/v1/feedback/{device_id}", qos=1)
        async for message in client.messages:
            into.append(json.loads(bytes(message.payload))["state"])
            if into[-1] == "resolved":
                return


async def console_row(running: Running, alarm_id: str, field: str) -> dict[str, Any]:
    """The console's live row of the alarm once `field` is filled (or after five seconds)."""
    row: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        for _ in range(50):
            rows = (await http.get("/api/v1/console/alarms")).json()
            row = next((a for a in rows if a["alarm_id"] == alarm_id), {})
            if row.get(field):
                break
            await asyncio.sleep(0.1)
    return row


async def test_the_person_checked_in_at_the_desk_is_the_presser(sqlite_url: str) -> None:
    async with service(settings_for("embedded", sqlite_url)) as running:
        feedback: list[str] = []
        listener = asyncio.create_task(feedback_states(running, "desk-1", feedback))
        await asyncio.sleep(0.3)
        async with (
            Handset.connect(running, "demo-leader") as lise,
            Handset.connect(running, "demo-guard") as gro,
            Handset.connect(running, "demo-deputy") as per,
        ):
            welcome = await lise.expect("welcome")
            assert welcome["place"] is None
            assert {"id": "reception", "name": "Publikumsmottak", "zone": "public"} in welcome[
                "locations"
            ]
            await gro.expect("welcome")
            await per.expect("welcome")
            await lise.send(type="check_in", location_id="nowhere")
            refused = await lise.expect("error")
            assert refused["code"] == "unknown_location"
            await lise.send(type="check_in", location_id="reception")
            placed = await lise.expect("places")
            assert placed["place"]["id"] == "reception"

            await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
            quiet = await lise.expect("presser", state="received")
            alarm_id = quiet["alarm_id"]
            assert quiet["discreet"] is True and quiet["steps"][0]["n"] == 1
            assert quiet["code"] == "presser.received"
            leader = await per.expect("alarm", offer__role_id="leader")  # the deputy, at once
            assert leader["alarm_id"] == alarm_id
            row = await console_row(running, alarm_id, "presser")
            assert (row["presser"], row["presser_via"]) == ("Lise (leder)", "checked_in")
            assert row["police_contacted_by"] is None

            await per.send(type="accept", alarm_id=alarm_id, role_id="police-contact")
            await gro.expect("alarm", offer__role_id="guard")
            await gro.send(type="accept", alarm_id=alarm_id, role_id="guard")
            coming = await lise.expect("presser", state="accepted")
            assert (
                render(coming["code"], coming["params"], "nb")
                == "Hjelp er på vei: Gro (vekter) kommer."
            )
            await gro.send(type="arrived", alarm_id=alarm_id)
            here = await lise.expect("presser", state="arrived")
            assert render(here["code"], here["params"], "nb") == "Gro (vekter) er fremme."
            await lise.send(type="arrived", alarm_id=alarm_id)
            assert (await lise.expect("error"))["code"] == "presser"
            await per.send(type="police_contacted", alarm_id=alarm_id)
            row = await console_row(running, alarm_id, "police_contacted_by")
            assert row["police_contacted_by"] == "Per (vara)" and row["arrived"] == ["Gro (vekter)"]
            # no offer of any role ever reached the presser in her own alarm
            assert not [f for f in lise.inbox if f["type"] == "alarm"]
        async with Handset.connect(running, "demo-leader") as lise:
            await lise.expect("welcome")  # a reconnect: her own alarm is the quiet card again
            again = await lise.expect("presser", alarm_id=alarm_id)
            assert again["state"] == "arrived"
            assert not [f for f in lise.inbox if f["type"] in ("alarm", "alarm_notice")]
        for _ in range(100):
            if feedback[-1:] == ["arrived"]:
                break
            await asyncio.sleep(0.1)
        listener.cancel()
        # received, then accepted only when the guard (who goes to her) took his role, then
        # arrived: the police contact's accept came first and was not "help is coming"
        assert feedback == ["received", "accepted", "arrived"]
