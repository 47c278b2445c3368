"""Offers confirmed over the socket (issue 17): a client that says `receipts: true` in its hello
confirms each offer with a `received` frame; an offer it does not confirm (a page frozen after
its last pong, say) counts as not delivered and the role moves on. A plain v1 client, which
sends no receipts, is trusted as before."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import websockets

from simulator.button import press
from tests.e2e.harness import Handset, Running, office_file, service, settings_for
from tests.e2e.test_push import timeline, wait_event


@contextlib.asynccontextmanager
async def running_with(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Running]:
    settings = settings_for(
        "embedded", sqlite_url, config=office_file(tmp_path), offer_confirm_s=1.0
    )
    async with service(settings) as running:
        yield running


@contextlib.asynccontextmanager
async def confirming(running: Running, token: str) -> AsyncIterator[Handset]:
    async with websockets.connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token, "receipts": True}))
        handset = Handset(ws)
        await handset.expect("welcome")
        yield handset


async def test_an_offer_confirmed_by_the_socket_is_on_the_timeline(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        running_with(tmp_path, sqlite_url) as running,
        confirming(running, "demo-leader") as lise,
    ):
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await lise.expect("alarm", offer__role_id="leader")
        await lise.send(type="received", alarm_id=offer["alarm_id"], role_id="leader")
        reached = await wait_event(running, offer["alarm_id"], "OfferReached", person_id="lise")
        assert reached["data"]["channel"] == "socket"
        await asyncio.sleep(1.5)  # past the wait for a confirmation: nothing more happens
        missed = [
            e["data"]["role_id"]
            for e in await timeline(running, offer["alarm_id"])
            if e["type"] == "OfferNotDelivered"
        ]
        assert "leader" not in missed  # (the roles she was offered and did not confirm are)


async def test_an_offer_the_page_never_confirms_goes_to_the_deputy_at_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        running_with(tmp_path, sqlite_url) as running,
        confirming(running, "demo-leader") as lise,
        confirming(running, "demo-deputy") as per,
    ):
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await lise.expect("alarm", offer__role_id="leader")  # shown, never confirmed
        deputy: dict[str, Any] = await per.expect("alarm", offer__role_id="leader")
        assert deputy["alarm_id"] == offer["alarm_id"]
        missed = await wait_event(
            running, offer["alarm_id"], "OfferNotDelivered", person_id="lise", role_id="leader"
        )
        assert "no confirmation" in missed["data"]["reason"]


async def test_a_plain_v1_client_is_trusted_as_before(tmp_path: Path, sqlite_url: str) -> None:
    async with (
        running_with(tmp_path, sqlite_url) as running,
        Handset.connect(running, "demo-leader") as lise,
    ):
        await lise.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await lise.expect("alarm", offer__role_id="leader")
        await asyncio.sleep(2.0)
        types = [e["type"] for e in await timeline(running, offer["alarm_id"])]
        assert "OfferNotDelivered" not in types and "OfferReached" not in types
