"""The broker connection under load: a service whose event loop is saturated (CPU-bound work that
never yields, a storm of handsets connecting) keeps its MQTT connections, with a keepalive so
short that Mosquitto would drop a client silent for a loop's stall; and a service whose broker
restarts hears presses again within seconds, and its feedback reaches the button."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from app.adapters.mqtt.ingest import MqttIngest
from devices import topics
from devices.native import decode_feedback
from simulator.button import press
from tests.e2e.harness import Handset, Running, service, settings_for
from tests.private_mosquitto import PrivateMosquitto, private_mosquitto_at

STORM = 150
KEEPALIVE_S = 5
"""Mosquitto drops a client silent for 1.5 keepalives; paho's thread checks once a second (and
on a shared machine may run a second late), so 5 s leaves it slack the stalled loop has not."""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    yield from private_mosquitto_at(tmp_path)


def busy(seconds: float) -> None:
    """CPU-bound work on the event loop that never yields."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def storm(running: Running, token: str, count: int) -> None:
    """`count` handsets of one person saying hello at once (each replaces the one before)."""

    async def one() -> None:
        with contextlib.suppress(Exception):
            async with websockets.connect(running.ws_url, open_timeout=30) as ws:
                await ws.send(json.dumps({"type": "hello", "token": token}))
                await asyncio.wait_for(ws.recv(), 30)

    await asyncio.gather(*(one() for _ in range(count)))


@pytest.mark.timeout(300)  # 30 s of a stalled loop on purpose
async def test_a_saturated_service_keeps_its_broker_connection_and_hears_a_press(
    broker: PrivateMosquitto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Mosquitto drops a client silent for 4.5 s (1.5 keepalives); the loop stalls 15 s. A 1 s
    # keepalive (1.5 s of slack) also dropped paho's own thread on a loaded CI machine.
    settings = settings_for(
        broker.url, f"sqlite+aiosqlite:///{tmp_path / 'load.db'}", mqtt_keepalive_s=3
    )
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        storming = asyncio.create_task(storm(running, "demo-guard", STORM))
        pressing = asyncio.create_task(asyncio.to_thread(press, broker.url, "desk-1"))
        for _ in range(2):  # 2 × 15 s without a turn of the loop: twice what Mosquitto allows
            await asyncio.sleep(0.2)
            busy(3 * KEEPALIVE_S)
        await pressing
        await storming
        offered = await leader.expect("alarm", offer__role_id="leader")
        assert offered["trigger"]["device_id"] == "desk-1"
        lost = [r.getMessage() for r in caplog.records if "disconnected from" in r.getMessage()]
        assert lost == [], f"a broker connection was dropped under load: {lost}"


async def test_after_a_broker_restart_presses_raise_and_feedback_arrives(
    broker: PrivateMosquitto, tmp_path: Path
) -> None:
    settings = settings_for(broker.url, f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}")
    heard: list[bytes] = []

    async def on_feedback(topic: str, payload: bytes, retained: bool) -> None:
        heard.append(payload)

    button = MqttIngest(
        broker.url, on_feedback, client_id="desk-1-dev", filters=[topics.feedback_topic("desk-1")]
    )
    async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
        await leader.expect("welcome")
        await button.start()
        try:
            await asyncio.to_thread(broker.restart)
            started = time.monotonic()
            await asyncio.to_thread(press, broker.url, "desk-1")
            offered = await leader.expect("alarm", offer__role_id="leader")
            took = time.monotonic() - started
            assert offered["trigger"]["device_id"] == "desk-1"
            assert took < 10, f"the press after the restart took {took:.1f} s"
            async with asyncio.timeout(10):
                while not heard:  # noqa: ASYNC110 (a list filled by a callback)
                    await asyncio.sleep(0.05)
            assert decode_feedback(heard[0]).alarm_id == offered["alarm_id"]
        finally:
            await button.stop()
