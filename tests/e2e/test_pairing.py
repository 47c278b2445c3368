"""End to end on loopback: a coordinator creates a handset for a person, the phone trades the
one-time code for a token and signs in over the websocket; revoking closes the live socket with
4401 and the token stops working; used codes, viewers, other offices and floods are refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
import yaml

from simulator.button import press
from tests.conftest import DEMO_OFFICE
from tests.e2e.harness import TIMEOUT, Handset, Running, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
VIEWER = {"Authorization": "Bearer demo-viewer"}
HANDSETS = "/api/v1/offices/demo/handsets"


def office_with_viewer(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text(encoding="utf-8"))
    data["api_tokens"].append({"token": "demo-viewer", "role": "viewer", "offices": ["demo"]})
    path = tmp / "office-with-viewer.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
async def running(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Running]:
    async with service(settings_for("embedded", sqlite_url, office_with_viewer(tmp_path))) as r:
        yield r


async def close_code(running: Running, token: str) -> int | None:
    """Say hello with `token`; the close code when the service refuses it (None: welcomed)."""
    async with websockets.connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        try:
            async with asyncio.timeout(TIMEOUT):
                while json.loads(await ws.recv())["type"] != "welcome":
                    pass
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


async def test_create_pair_connect_receive_revoke(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        people = (await http.get("/api/v1/offices/demo/people", headers=COORDINATOR)).json()
        assert {"person_id": "lise", "name": "Lise (leder)"} in people
        created = await http.post(HANDSETS, json={"person_id": "lise"}, headers=COORDINATOR)
        assert created.status_code == 201, created.text
        body = created.json()
        code = body["pairing_code"]
        assert body["person_id"] == "lise" and body["handset_id"].startswith("ph-")
        assert body["pairing_url"] == f"{running.base}/handset?pair={code}"
        svg = body["qr_svg"]
        assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
        [listed] = (await http.get(HANDSETS, headers=COORDINATOR)).json()
        assert listed["status"] == "pending" and listed["person_name"] == "Lise (leder)"
        assert code not in json.dumps(listed)
        assert not {"token", "token_sha256", "pairing_code", "pairing_code_sha256"} & set(listed)

        paired = await http.post("/api/v1/pair", json={"code": code.lower()})
        assert paired.status_code == 200, paired.text
        token = paired.json()["token"]
        assert paired.json() == {
            "token": token,
            "handset_id": body["handset_id"],
            "office_id": "demo",
        }
        used = await http.post("/api/v1/pair", json={"code": code})
        assert used.status_code == 400 and used.json()["error"]["code"] == "pairing_refused"
        unknown = await http.post("/api/v1/pair", json={"code": "ZZZZ-ZZZZ"})
        assert unknown.json() == used.json()  # the same answer: nothing said about which
        [listed] = (await http.get(HANDSETS, headers=COORDINATOR)).json()
        assert listed["status"] == "paired" and listed["paired_at"]

        async with Handset.connect(running, token) as phone:
            welcome = await phone.expect("welcome")
            assert (welcome["handset_id"], welcome["person_id"]) == (body["handset_id"], "lise")
            await asyncio.to_thread(press, running.broker_url, "desk-1")
            offer = await phone.expect("alarm", offer__role_id="leader")
            await phone.send(type="accept", alarm_id=offer["alarm_id"], role_id="leader")
            await phone.expect("alarm_update", alarm_id=offer["alarm_id"])

            revoked = await http.delete(f"{HANDSETS}/{body['handset_id']}", headers=COORDINATOR)
            assert revoked.status_code == 204
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(TIMEOUT):
                    while True:
                        await phone.ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

        assert await close_code(running, token) == 4401
        assert await close_code(running, "demo-leader") is None  # the file's handsets are fine
        [listed] = (await http.get(HANDSETS, headers=COORDINATOR)).json()
        assert listed["status"] == "revoked" and listed["revoked_by"].startswith("coordinator")
        again = await http.delete(f"{HANDSETS}/{body['handset_id']}", headers=COORDINATOR)
        assert again.status_code == 204
        missing = await http.delete(f"{HANDSETS}/hs-lise", headers=COORDINATOR)
        assert missing.status_code == 404


async def test_who_may_create_list_and_revoke(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        person = {"person_id": "per"}
        assert (await http.post(HANDSETS, json=person)).status_code == 401
        assert (await http.post(HANDSETS, json=person, headers=VIEWER)).status_code == 403
        assert (await http.get(HANDSETS, headers=VIEWER)).status_code == 403
        assert (await http.delete(f"{HANDSETS}/ph-1", headers=VIEWER)).status_code == 403
        other = "/api/v1/offices/nav-x/handsets"
        assert (await http.post(other, json=person, headers=COORDINATOR)).status_code == 403
        assert (await http.get(other, headers=COORDINATOR)).status_code == 403
        nobody = await http.post(HANDSETS, json={"person_id": "nobody"}, headers=COORDINATOR)
        assert nobody.status_code == 422 and nobody.json()["error"]["code"] == "unknown_person"
        assert (await http.post(HANDSETS, json={}, headers=COORDINATOR)).status_code == 422
        assert (await http.get(HANDSETS, headers=COORDINATOR)).json() == []


async def test_pairing_attempts_are_rate_limited_per_address(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base) as http:
        created = await http.post(HANDSETS, json={"person_id": "gro"}, headers=COORDINATOR)
        code = created.json()["pairing_code"]
        answers = [
            (await http.post("/api/v1/pair", json={"code": f"WRONG{n:03d}"})).status_code
            for n in range(10)
        ]
        assert answers == [400] * 10
        limited = await http.post("/api/v1/pair", json={"code": code})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "too_many_attempts"
        assert int(limited.headers["Retry-After"]) > 0
        [listed] = (await http.get(HANDSETS, headers=COORDINATOR)).json()
        assert listed["status"] == "pending"  # the code was not tried, so it still works
