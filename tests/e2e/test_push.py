"""Offers that reach a locked phone (issue 17), end to end on loopback: the service pushes to a
local push service (tests/fakes/push_service.py) that checks the VAPID signature and decrypts
every message with the subscription's own keys; the "phones" post receipts as the service
worker does, and the timeline records how each offer reached its phone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.button import press
from simulator.push_service import LocalPushService, PhoneKeys, local_push_service
from tests.e2e.harness import Handset, Running, office_file, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
TOKENS = {"lise": "demo-leader", "per": "demo-deputy", "gro": "demo-guard"}
OFFER_FIELDS = {
    "v", "id", "kind", "alarm_id", "office_name", "place", "level", "mode", "role_id",
    "role_title", "leader", "accept_within_s", "due_at",
}  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def pushing(
    tmp_path: Path, sqlite_url: str, **extra: Any
) -> AsyncIterator[tuple[Running, LocalPushService]]:
    async with local_push_service() as pushes:
        settings = settings_for(
            "embedded",
            sqlite_url,
            config=office_file(tmp_path),
            push_insecure_endpoints=True,
            **extra,
        )
        async with service(settings) as running:
            yield running, pushes


class Phone:
    """A phone's service worker: confirms every push it gets, until it is switched off."""

    def __init__(self, running: Running, pushes: LocalPushService, token: str) -> None:
        self.running, self.pushes, self.token = running, pushes, token
        self.keys: PhoneKeys | None = None
        self.on = True
        self.receipts: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def subscribe(self) -> None:
        self.keys, body = self.pushes.subscribe()
        async with httpx.AsyncClient(base_url=self.running.base) as http:
            r = await http.put("/api/v1/push/subscription", json=body, headers=bearer(self.token))
            assert r.status_code == 204, r.text
        self._task = asyncio.create_task(self._confirm())

    async def _confirm(self) -> None:
        seen = 0
        async with httpx.AsyncClient(base_url=self.running.base) as http:
            while True:
                assert self.keys is not None
                mine = self.pushes.of(self.keys)
                for message in mine[seen:]:
                    if self.on:
                        r = await http.post(
                            "/api/v1/push/receipts",
                            json={"push_id": message["id"]},
                            headers=bearer(self.token),
                        )
                        self.receipts.append({"status": r.status_code, **message})
                seen = len(mine)
                async with self.pushes.arrived:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.5):
                            await self.pushes.arrived.wait()

    async def wait_reachable(self, person: str) -> None:
        async with asyncio.timeout(15), httpx.AsyncClient(base_url=self.running.base) as http:
            while True:
                rows = (
                    await http.get("/api/v1/offices/demo/reachability", headers=COORDINATOR)
                ).json()
                if any(r["person_id"] == person and r["reach"] == "push" for r in rows):
                    return
                await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def timeline(running: Running, alarm_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=running.base) as http:
        r = await http.get(f"/api/v1/alarms/{alarm_id}", headers=COORDINATOR)
        if r.status_code == 404:
            return []  # offers go out before the alarm is committed
        r.raise_for_status()
        events: list[dict[str, Any]] = r.json()["timeline"]
        return events


async def wait_event(running: Running, alarm_id: str, type_: str, **data: Any) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            for e in await timeline(running, alarm_id):
                if e["type"] == type_ and all(e["data"].get(k) == v for k, v in data.items()):
                    return e
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def phones(
    running: Running, pushes: LocalPushService, *people: str
) -> AsyncIterator[dict[str, Phone]]:
    found = {p: Phone(running, pushes, TOKENS[p]) for p in people}
    try:
        for person, phone in found.items():
            await phone.subscribe()
            await phone.wait_reachable(person)
        yield found
    finally:
        for phone in found.values():
            phone.stop()


async def test_every_offer_is_pushed_encrypted_signed_and_its_receipt_is_on_the_timeline(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        pushing(tmp_path, sqlite_url) as (running, pushes),
        phones(running, pushes, "lise", "per", "gro") as by_person,
    ):
        # nobody has the page open: every phone is locked, reachable by push alone
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        lise = by_person["lise"].keys
        assert lise is not None
        first = await pushes.wait_for(lise, kind="offer", role_id="leader")
        alarm_id = first.message["alarm_id"]
        await wait_event(running, alarm_id, "AlarmRaised")
        offered = [
            (p, e["data"]["role_id"])
            for e in await timeline(running, alarm_id)
            if e["type"] == "RoleOffered"
            for p in e["data"]["person_ids"]
        ]
        assert ("lise", "leader") in offered and ("gro", "guard") in offered
        for person, role in offered:
            keys = by_person[person].keys
            assert keys is not None
            pushed = await pushes.wait_for(keys, kind="offer", alarm_id=alarm_id, role_id=role)
            assert set(pushed.message) == OFFER_FIELDS  # what a lock screen shows, nothing else
            assert pushed.message["place"] == "Publikumsmottak"
            assert pushed.message["level"] == "acute"
            assert pushed.headers["urgency"] == "high" and int(pushed.headers["ttl"]) > 0
            assert pushed.headers["content-encoding"] == "aes128gcm"
            async with httpx.AsyncClient(base_url=running.base) as http:
                key = (await http.get("/api/v1/push/key")).json()["public_key"]
            assert pushed.vapid_key == key  # signed by the key the phone subscribed with
            reached = await wait_event(
                running, alarm_id, "OfferReached", person_id=person, role_id=role
            )
            assert reached["data"]["channel"] == "push"
        assert pushes.refused == []


async def test_an_offer_no_phone_confirms_moves_on_sooner_and_the_timeline_says_why(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        pushing(tmp_path, sqlite_url, offer_confirm_s=1.0) as (running, pushes),
        phones(running, pushes, "lise", "per", "gro") as by_person,
    ):
        by_person["lise"].on = False  # her phone is dead since its last check
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        per = by_person["per"].keys
        assert per is not None
        # the leader role goes to the deputy long before its 20 s deadline
        pushed = await pushes.wait_for(per, kind="offer", role_id="leader")
        assert asyncio.get_running_loop().time() - started < 10
        alarm_id = pushed.message["alarm_id"]
        missed = await wait_event(
            running, alarm_id, "OfferNotDelivered", person_id="lise", role_id="leader"
        )
        assert "no confirmation" in missed["data"]["reason"]
        types = [e["type"] for e in await timeline(running, alarm_id)]
        assert "OfferTimedOut" not in types  # it did not wait for the deadline


async def test_an_accept_from_the_notification_takes_the_role_and_says_it_came_by_push(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        pushing(tmp_path, sqlite_url) as (running, pushes),
        phones(running, pushes, "lise", "per", "gro") as by_person,
    ):
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        gro = by_person["gro"].keys
        assert gro is not None
        offer = (await pushes.wait_for(gro, kind="offer", role_id="guard")).message
        body = {"alarm_id": offer["alarm_id"], "role_id": "guard", "answer": "accept"}
        async with httpx.AsyncClient(base_url=running.base) as http:
            r = await http.post("/api/v1/handset/answers", json=body, headers=bearer("demo-guard"))
            assert r.status_code == 200, r.text
            again = await http.post(
                "/api/v1/handset/answers",
                json={**body, "role_id": "leader"},
                headers=bearer("demo-guard"),
            )
            assert again.status_code == 409  # not offered to her: refused, with its code
            assert again.json()["error"]["code"] in ("not_offered", "already_holding")
            nobody = await http.post("/api/v1/handset/answers", json=body)
            assert nobody.status_code == 401
        accepted = await wait_event(running, offer["alarm_id"], "RoleAccepted", role_id="guard")
        assert accepted["data"]["via"] == "push" and accepted["actor"] == "person:gro"


async def test_a_frozen_page_is_noticed_within_its_pings_and_its_offers_go_by_push(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        pushing(tmp_path, sqlite_url, ping_interval_s=0.5) as (running, pushes),
        phones(running, pushes, "lise", "per", "gro") as by_person,
        Handset.connect(running, "demo-guard") as frozen,
    ):
        await frozen.expect("welcome")  # and then nothing: no pongs, no received frames
        async with asyncio.timeout(10), httpx.AsyncClient(base_url=running.base) as http:
            while True:
                rows = (
                    await http.get("/api/v1/offices/demo/reachability", headers=COORDINATOR)
                ).json()
                gro = next(r for r in rows if r["handset_id"] == "hs-gro")
                if gro["socket"] and gro["reach"] == "push":
                    break  # the socket is open, and known not to be trusted
                await asyncio.sleep(0.05)
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        keys = by_person["gro"].keys
        assert keys is not None
        pushed = await pushes.wait_for(keys, kind="offer", role_id="guard")
        reached = await wait_event(
            running, pushed.message["alarm_id"], "OfferReached", person_id="gro"
        )
        assert reached["data"]["channel"] == "push"


async def test_a_test_push_from_the_console_comes_back_with_its_receipt(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with (
        pushing(tmp_path, sqlite_url) as (running, pushes),
        phones(running, pushes, "per"),
        httpx.AsyncClient(base_url=running.base) as http,
    ):
        r = await http.post("/api/v1/offices/demo/handsets/hs-per/test-push", headers=COORDINATOR)
        assert r.status_code == 202, r.text
        push_id = r.json()["push_id"]
        async with asyncio.timeout(10):
            while True:
                got = await http.get(
                    f"/api/v1/offices/demo/handsets/hs-per/test-push/{push_id}",
                    headers=COORDINATOR,
                )
                if got.json()["received_at"] is not None:
                    break
                await asyncio.sleep(0.05)
        url = "/api/v1/offices/demo/handsets/hs-gro/test-push"
        none = await http.post(url, headers=COORDINATOR)
        assert none.status_code == 404 and none.json()["error"]["code"] == "not_subscribed"
        viewer = await http.post(
            "/api/v1/offices/demo/handsets/hs-per/test-push", headers=bearer("demo-guard")
        )
        assert viewer.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "file:///etc/passwd", "keys": {"p256dh": "x", "auth": "y"}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "x y", "auth": "y"}},
        {"endpoint": "https://push.example/x"},
    ],
)
async def test_a_bad_subscription_is_refused_with_a_reason(
    tmp_path: Path, sqlite_url: str, body: dict[str, Any]
) -> None:
    async with (
        pushing(tmp_path, sqlite_url) as (running, _pushes),
        httpx.AsyncClient(base_url=running.base) as http,
    ):
        r = await http.put("/api/v1/push/subscription", json=body, headers=bearer("demo-leader"))
        assert r.status_code == 422
        assert "error" in r.json() or "detail" in r.json()
