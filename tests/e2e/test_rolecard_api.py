"""End to end on loopback: a coordinator uploads role cards over HTTP, sees the validator's
problems with line numbers, activates a version, and the next press is dispatched by it and
records it; a viewer may read but not change; a restart keeps the activated version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.settings import Settings
from simulator.button import press
from tests.conftest import DEMO_OFFICE, fresh_postgres, require_mosquitto
from tests.e2e.harness import Handset, Running, forget_session, service, settings_for

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
VIEWER = {"Authorization": "Bearer demo-viewer"}
YAML = {"Content-Type": "application/yaml"}
ROLECARDS = "/api/v1/offices/demo/rolecards"


def office_with_viewer(tmp: Path) -> tuple[Path, str]:
    """The demo office plus a viewer token (demo files may carry plaintext tokens)."""
    data = yaml.safe_load(DEMO_OFFICE.read_text(encoding="utf-8"))
    data["api_tokens"].append({"token": "demo-viewer", "role": "viewer", "offices": ["demo"]})
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path = tmp / "office-with-viewer.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def new_card(text: str) -> str:
    return text.replace("version: '2026-11-01'", "version: '2026-12-01'").replace(
        "Snakk rolig; ikke virk truende.", "Snakk rolig og lavt; ikke virk truende."
    )


def without_leader_stance(text: str) -> str:
    data = yaml.safe_load(text)
    del data["rolecard"]["roles"][0]["stance"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def raised_version(running: Running, http: httpx.AsyncClient) -> str:
    """Press the desk button; the rolecard_version the AlarmRaised event recorded."""
    async with Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1")
        offer = await leader.expect("alarm", offer__role_id="leader")
        alarm_id = offer["alarm_id"]
        await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
        await leader.send(type="all_clear", alarm_id=alarm_id)
        await leader.expect("alarm_closed", alarm_id=alarm_id)
    body = (await http.get(f"/api/v1/alarms/{alarm_id}", headers=COORDINATOR)).json()
    [raised] = [e for e in body["timeline"] if e["type"] == "AlarmRaised"]
    assert body["rolecard_version"] == raised["data"]["rolecard_version"]
    version: str = raised["data"]["rolecard_version"]
    return version


async def offices(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/offices", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


@pytest.fixture(params=["embedded+sqlite", "mosquitto+postgres"])
async def backing(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Backing]:
    """A broker URL and a database URL that outlive one service run (for the restart)."""
    if request.param == "embedded+sqlite":
        yield Backing("embedded", sqlite_url)
        return
    broker = require_mosquitto()
    async with fresh_postgres() as db:
        backing = Backing(broker, db)
        yield backing
        for settings in backing.used:
            forget_session(settings)


@dataclass
class Backing:
    broker: str
    db: str
    used: list[Settings] = field(default_factory=list)

    def settings(self, config: Path) -> Settings:
        self.used.append(settings_for(self.broker, self.db, config))
        return self.used[-1]


async def test_upload_check_activate_dispatch_and_restart(tmp_path: Path, backing: Backing) -> None:
    config, text = office_with_viewer(tmp_path)
    settings = backing.settings(config)
    async with service(settings) as running, httpx.AsyncClient(base_url=running.base) as http:
        [office] = await offices(http, VIEWER)
        assert (office["id"], office["active_version"], office["active_label"]) == (
            "demo",
            1,
            "2026-11-01",
        )
        assert await raised_version(running, http) == "1:2026-11-01"

        bad = await http.post(ROLECARDS, content=without_leader_stance(text), headers=COORDINATOR)
        assert bad.status_code == 201, bad.text
        assert bad.json()["number"] == 2 and not bad.json()["activatable"]
        [stance] = [p for p in bad.json()["problems"] if "no stance" in p["message"]]
        assert stance["severity"] == "error" and stance["path"] == "rolecard.roles[0].stance"
        assert stance["line"] > 1 and stance["column"] >= 1
        refused = await http.post(f"{ROLECARDS}/2/activate", headers=COORDINATOR)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "has_errors"
        assert "no stance" in refused.json()["error"]["message"]

        denied = await http.post(ROLECARDS, content=new_card(text), headers={**VIEWER, **YAML})
        assert denied.status_code == 403
        assert (await http.post(f"{ROLECARDS}/2/activate", headers=VIEWER)).status_code == 403

        checked = await http.post(
            f"{ROLECARDS}/validate", json={"content": new_card(text)}, headers=COORDINATOR
        )
        assert checked.status_code == 200 and checked.json()["activatable"]
        assert checked.json()["label"] == "2026-12-01"

        good = await http.post(ROLECARDS, content=new_card(text), headers={**COORDINATOR, **YAML})
        assert good.status_code == 201 and good.json()["number"] == 3, good.text
        assert good.json()["activatable"] and good.json()["errors"] == 0
        active = await http.post(f"{ROLECARDS}/3/activate", headers=COORDINATOR)
        assert active.status_code == 200, active.text
        assert active.json()["status"] == "active"
        assert active.json()["activated_by"].startswith("coordinator (token ")

        [office] = await offices(http, COORDINATOR)
        assert (office["active_version"], office["active_label"]) == (3, "2026-12-01")
        history = (await http.get(ROLECARDS, headers=VIEWER)).json()
        assert [(v["number"], v["status"]) for v in history] == [
            (3, "active"),
            (2, "uploaded"),
            (1, "retired"),
        ]
        detail = (await http.get(f"{ROLECARDS}/2", headers=VIEWER)).json()
        assert detail["content"] == without_leader_stance(text) and detail["errors"] >= 1
        assert any(p["line"] for p in detail["problems"])

        assert await raised_version(running, http) == "3:2026-12-01"

    async with (
        service(settings, migrate=False) as again,
        httpx.AsyncClient(base_url=again.base) as http,
    ):
        [office] = await offices(http, VIEWER)
        assert (office["active_version"], office["rolecard_version"]) == (3, "3:2026-12-01")
        assert await raised_version(again, http) == "3:2026-12-01"


async def test_bodies_tokens_and_offices_are_checked(tmp_path: Path) -> None:
    config, text = office_with_viewer(tmp_path)
    settings = settings_for("embedded", f"sqlite+aiosqlite:///{tmp_path / 'rc.db'}", config)
    async with service(settings) as running, httpx.AsyncClient(base_url=running.base) as http:
        too_big = await http.post(ROLECARDS, content="#" * (256 * 1024 + 1), headers=COORDINATOR)
        assert too_big.status_code == 413
        binary = await http.post(ROLECARDS, content=b"\xff\xfe\x00x", headers=COORDINATOR)
        assert binary.status_code == 422 and binary.json()["error"]["code"] == "not_text"
        no_content = await http.post(ROLECARDS, json={"text": text}, headers=COORDINATOR)
        assert no_content.status_code == 422
        assert (await http.get(ROLECARDS)).status_code == 401
        other = await http.get("/api/v1/offices/nav-x/rolecards", headers=COORDINATOR)
        assert other.status_code == 403
        assert (await http.get(f"{ROLECARDS}/9", headers=COORDINATOR)).status_code == 404
        foreign = text.replace("id: demo\n", "id: nav-x\n", 1)
        wrong = await http.post(ROLECARDS, content=foreign, headers=COORDINATOR)
        assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "wrong_office"
        assert [v["number"] for v in (await http.get(ROLECARDS, headers=VIEWER)).json()] == [1]


async def test_an_activated_card_changes_the_role_on_an_idle_handset_at_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Req. 5: Gro takes over the leader role in a new version; her idle handset shows it as
    soon as the version is activated, without a reconnect."""
    path, text = office_with_viewer(tmp_path)
    data = yaml.safe_load(new_card(text))
    data["rolecard"]["roles"][0]["assignment"] = {"mode": "named", "holder": "gro"}
    changed = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    settings = settings_for("embedded", sqlite_url, config=path)
    async with (
        service(settings) as running,
        httpx.AsyncClient(base_url=running.base) as http,
        Handset.connect(running, "demo-guard") as gro,
    ):
        before = await gro.expect("welcome")
        assert "leader" not in [r["role_id"] for r in before["standing_roles"]]
        uploaded = await http.post(ROLECARDS, content=changed, headers={**COORDINATOR, **YAML})
        assert uploaded.status_code == 201, uploaded.text
        number = uploaded.json()["number"]
        activated = await http.post(f"{ROLECARDS}/{number}/activate", headers=COORDINATOR)
        assert activated.status_code == 200, activated.text
        detail = (await http.get(f"{ROLECARDS}/{number}", headers=COORDINATOR)).json()
        assert detail["people_per_alarm"] == {"required": 3, "with_optional": 3}  # req. 45
        roles = await gro.expect("standing_roles")
        assert "leader" in [r["role_id"] for r in roles["standing_roles"]]
        assert roles["rolecard_version"].endswith("2026-12-01")
