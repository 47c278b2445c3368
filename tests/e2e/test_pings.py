"""The handset protocol's ping (protocol v1, section 3), kept by one round for every handset
(app/adapters/ws/pinger.py): a handset that stops answering is closed with 4408 after two missed
pings and stops counting as reachable by socket; one that answers stays connected."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosed

from tests.e2e.harness import Handset, service, settings_for

ABSENT = 4408
COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


async def silent_until_closed(ws: websockets.ClientConnection) -> list[dict[str, Any]]:
    """Read every frame and answer none, until the server closes the socket."""
    frames: list[dict[str, Any]] = []
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(15):
            while True:
                frames.append(json.loads(await ws.recv()))
    return frames


async def answering_for(handset: Handset, seconds: float) -> None:
    """Let the handset answer its pings for a while (expect() answers them while it waits)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(handset.expect("nothing-is-sent-of-this-type"), seconds)


async def test_a_silent_handset_is_dropped_and_an_answering_one_stays(sqlite_url: str) -> None:
    settings = settings_for("embedded", sqlite_url, ping_interval_s=0.4)
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        async with websockets.connect(running.ws_url) as silent:
            await silent.send(json.dumps({"type": "hello", "token": "demo-guard"}))
            watching = asyncio.create_task(answering_for(leader, 20))
            frames = await silent_until_closed(silent)
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        assert silent.close_code == ABSENT
        assert frames[0]["type"] == "welcome"
        assert sum(f["type"] == "ping" for f in frames) >= 2
        async with httpx.AsyncClient(base_url=running.base) as http:
            rows = (await http.get("/api/v1/offices/demo/reachability", headers=COORDINATOR)).json()
        reach = {row["handset_id"]: (row["socket"], row["reach"]) for row in rows}
        assert reach["hs-gro"] == (False, "unreachable"), rows  # no push subscription either
        assert reach["hs-lise"] == (True, "connected"), rows
        # the leader answered every ping meanwhile: still connected, still served
        await leader.send(type="duty", on=True)
        assert (await leader.expect("duty"))["on"] is True
