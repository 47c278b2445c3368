"""Odd input gets a clear 4xx, never a 500 (issue 12, hole 6), on real PostgreSQL: an id of 20
digits, a NUL character in free text, in a query and in a path, a body over the limit, and a
50,000-deep YAML list uploaded as a role card (refused with one log line, not a RecursionError
and thousands of lines)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import structlog

from tests.conftest import fresh_postgres
from tests.e2e.harness import Running, service, settings_for

ROLECARDS = "/api/v1/offices/demo/rolecards"
COORDINATOR = {"Authorization": "Bearer demo-coordinator"}


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    async with fresh_postgres() as db, service(settings_for("embedded", db)) as running:
        yield running


async def test_odd_ids_and_nul_characters_are_4xx_on_postgres(running: Running) -> None:
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        huge = await http.post("/api/v1/offices/demo/rolecards/99999999999999999999/activate")
        assert huge.status_code == 422, huge.text
        incident = {"kind": "verbal_abuse", "at": "2026-12-01T10:00:00+00:00", "note": "a\x00b"}
        nul = await http.post("/api/v1/offices/demo/incidents", json=incident)
        assert nul.status_code == 422, nul.text
        assert nul.json()["error"]["code"] == "not_text"
        assert (await http.get("/api/v1/alarms", params={"office": "de\x00mo"})).status_code == 422
        assert (await http.get("/api/v1/alarms/a-%00")).status_code == 422
        big = await http.post("/api/v1/offices/demo/incidents", content=b"x" * (2 * 1024 * 1024))
        assert big.status_code == 413
        # the same incident without the NUL is stored: the check refuses only what it must
        incident["note"] = "ab"
        assert (await http.post("/api/v1/offices/demo/incidents", json=incident)).status_code == 201


async def test_a_deeply_nested_yaml_upload_is_a_422_with_one_log_line(running: Running) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        with structlog.testing.capture_logs() as logs:
            for path in (
                "/api/v1/offices/demo/rolecards",
                "/api/v1/offices/demo/rolecards/validate",
            ):
                refused = await http.post(path, content=deep, headers={"Content-Type": "text/yaml"})
                assert refused.status_code == 422, refused.text
                assert "nested" in refused.json()["error"]["message"]
        assert len(logs) == 2, logs  # one line per refused upload
        versions = await http.get("/api/v1/offices/demo/rolecards")
        assert [v["number"] for v in versions.json()] == [1]  # nothing was stored
