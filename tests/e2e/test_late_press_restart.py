"""A press made before an all-clear that reaches the service only after a restart (issue 12,
hole 5), with a real `rollekort serve` killed by SIGKILL and a private Mosquitto that queues the
press for the service's persistent session while it is down: it raises no new alarm, it is
recorded as a late repeat of the closed alarm and the button hears that alarm's id; a press
made after the all-clear is a new alarm. Both kinds of button: with its own `ts` (placed on its
clock) and without (by seq, within the 30 s the seq rule covers)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from simulator.button import publish
from simulator.prove.procs import Mosquitto
from tests.e2e.harness import Handset, Running
from tests.e2e.process import Served, serve_env, start, tagged_office
from tests.e2e.test_button_restart import Feedback

pytestmark = pytest.mark.timeout(480)  # two real starts on a loaded machine
HEADERS = {"Authorization": "Bearer demo-coordinator"}
SEQ_WINDOW_S = 25.0  # the seq rule covers 30 s after the close (REDELIVERY_WINDOW), less slack


def _press(broker: str, device_id: str, seq: int, ts: datetime | None = None) -> None:
    body: dict[str, Any] = {"event": "press", "seq": seq, "gesture": "single"}
    if ts is not None:
        body["ts"] = ts.isoformat(timespec="milliseconds")
    publish(broker, f"rollekort/v1/trigger/{device_id}", json.dumps(body).encode())


async def _raise_and_close(lise: Handset, broker: str, device: str, seqs: list[int]) -> str:
    """Presses the button (each with its `ts` when a desk button), then the all-clear."""
    offer: dict[str, Any] | None = None
    for seq in seqs:
        timed = datetime.now(UTC) if device.startswith("desk") else None
        await asyncio.to_thread(_press, broker, device, seq, timed)
        if offer is None:
            offer = await lise.expect("alarm", trigger__device_id=device, offer__role_id="leader")
    assert offer is not None
    alarm_id: str = offer["alarm_id"]
    await lise.send(type="accept", alarm_id=alarm_id, role_id="leader")
    await lise.expect("alarm_update", alarm_id=alarm_id)
    await lise.send(type="all_clear", alarm_id=alarm_id)
    await lise.expect("alarm_closed", alarm_id=alarm_id)
    return alarm_id


async def _heard_after(feedback: Feedback, skip: int) -> dict[str, Any]:
    """The first feedback the button hears after the `skip` it had heard (the late press's)."""
    async with asyncio.timeout(60):
        while len(feedback.seen) <= skip:  # noqa: ASYNC110 - paho's thread appends; poll it
            await asyncio.sleep(0.05)
    return feedback.seen[skip]


async def _alarms(served: Served, count: int) -> list[dict[str, Any]]:
    """The alarms once there are at least `count` (or what there is after a generous wait)."""
    async with httpx.AsyncClient(base_url=served.base, headers=HEADERS) as http:
        found: list[dict[str, Any]] = []
        for _ in range(300):
            found = (await http.get("/api/v1/alarms")).json()
            if len(found) >= count:
                break
            await asyncio.sleep(0.1)
        return found


async def _late_seqs(served: Served, alarm_id: str) -> list[int]:
    async with httpx.AsyncClient(base_url=served.base, headers=HEADERS) as http:
        body = (await http.get(f"/api/v1/alarms/{alarm_id}")).json()
    rows = [e for e in body["timeline"] if e["type"] == "PressRepeated" and e["data"].get("late")]
    return [int(e["data"]["seq"]) for e in rows]


async def test_a_press_from_before_the_all_clear_is_late_after_a_sigkill(tmp_path: Path) -> None:
    if not Mosquitto.available():
        pytest.skip("mosquitto is not installed")
    mosquitto = Mosquitto(tmp_path / "broker")
    mosquitto.start()
    broker = mosquitto.url
    config, desk, worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    env = serve_env(tmp_path, config=config, db=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}",
                    broker=broker)  # fmt: skip
    heard = {device: Feedback(broker, device) for device in (desk, worn)}
    first = start(tmp_path, env)
    second: Served | None = None
    try:
        async with Handset.connect(cast(Running, first), "demo-leader") as lise:
            await lise.expect("welcome")
            timed = await _raise_and_close(lise, broker, desk, [1])
            before_close = datetime.now(UTC) - timedelta(milliseconds=500)
            untimed = await _raise_and_close(lise, broker, worn, [10, 12])
            closed = time.monotonic()
        for device, alarm_id in ((desk, timed), (worn, untimed)):  # the all-clear's own word
            await heard[device].wait_for(alarm_id=alarm_id, state="resolved")
        first.kill()
        before = {device: len(f.seen) for device, f in heard.items()}
        # pressed before the all-clears, delivered only now: queued while the service is down
        await asyncio.to_thread(_press, broker, desk, 2, before_close)
        await asyncio.to_thread(_press, broker, worn, 11)
        second = start(tmp_path, env)
        quick = time.monotonic() - closed < SEQ_WINDOW_S
        answer = await _heard_after(heard[desk], before[desk])
        assert (answer["alarm_id"], answer["state"]) == (timed, "resolved")
        assert await _late_seqs(second, timed) == [2]
        if quick:
            answer = await _heard_after(heard[worn], before[worn])
            assert (answer["alarm_id"], answer["state"]) == (untimed, "resolved")
            assert await _late_seqs(second, untimed) == [11]
        assert {a["alarm_id"] for a in await _alarms(second, 2)} == {timed, untimed}

        # pressed after the all-clear: a new alarm, as ever
        await asyncio.to_thread(_press, broker, desk, 3, datetime.now(UTC))
        await asyncio.to_thread(_press, broker, worn, 13)
        alarms = await _alarms(second, 4)
        new = {a["device_id"]: a for a in alarms if a["alarm_id"] not in (timed, untimed)}
        assert set(new) == {desk, worn}, alarms
        assert all(a["status"] == "open" for a in new.values())
        if not quick:
            pytest.skip(f"the restart took over {SEQ_WINDOW_S:.0f} s: the seq case not checked")
    finally:
        first.kill()
        if second is not None:
            second.stop()
        for feedback in heard.values():
            feedback.close()
        mosquitto.stop()
