"""A button whose counter restarts is not silenced (issue 12, fault C), tried from outside
through Mosquitto: a clock-less button's press `seq 7` again after its alarm closed gets that
alarm's feedback (never silence); with a new `boot` id it is a new alarm; a `seq` far below the
device's newest on a closed alarm is a new alarm too, and supervision shows the counter went
backwards. A retained press never alarms (hole 5)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.button import publish
from tests.conftest import require_mosquitto
from tests.e2e.harness import TIMEOUT, Handset, Running, forget_session, service, settings_for
from tests.e2e.process import tagged_office

pytestmark = pytest.mark.timeout(240)
HEADERS = {"Authorization": "Bearer demo-coordinator"}


class Feedback:
    """What the service tells the button, as the button hears it."""

    def __init__(self, broker: str, device_id: str) -> None:
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        host, port = broker.removeprefix("mqtt://").split(":")
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fb-{uuid.uuid4().hex}")
        self._client.on_message = self._on_message
        self._client.connect(host, int(port))
        self._client.subscribe(f"rollekort/v1/feedback/{device_id}", qos=1)
        self._client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.seen.append(json.loads(msg.payload))

    async def wait_for(self, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                with self._lock:
                    for item in self.seen:
                        if all(item.get(k) == v for k, v in match.items()):
                            return item
                await asyncio.sleep(0.05)

    def close(self) -> None:
        self._client.disconnect()  # while the loop still runs, so the socket is closed
        self._client.loop_stop()


@pytest.fixture
def feedback_of() -> Iterator[list[Feedback]]:
    made: list[Feedback] = []
    yield made
    for f in made:
        f.close()


async def _press(broker: str, device_id: str, **fields: Any) -> None:
    payload = json.dumps({"event": "press", **fields}).encode()
    await asyncio.to_thread(publish, broker, f"rollekort/v1/trigger/{device_id}", payload)


async def _raise_and_close(running: Running, leader: Handset, device_id: str, **press: Any) -> str:
    await _press(running.broker_url, device_id, **press)
    offer = await leader.expect("alarm", trigger__device_id=device_id, offer__role_id="leader")
    alarm_id = str(offer["alarm_id"])
    await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
    await leader.send(type="all_clear", alarm_id=alarm_id)
    await leader.expect("alarm_closed", alarm_id=alarm_id)
    return alarm_id


async def test_a_restarted_counter_is_heard_and_a_duplicate_is_answered(
    tmp_path: Path, feedback_of: list[Feedback]
) -> None:
    broker = require_mosquitto()
    config, desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    settings = settings_for(broker, f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", config=config)
    feedback = Feedback(broker, desk)
    feedback_of.append(feedback)
    try:
        async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
            await leader.expect("welcome")
            first = await _raise_and_close(running, leader, desk, seq=7)
            # the button restarts (no clock, no boot id) and is pressed: seq 7 again, at once
            await _press(broker, desk, seq=7)
            await feedback.wait_for(alarm_id=first, state="resolved")  # answered, not silent
            # with a boot id, a restarted counter is simply a new press
            second = await _raise_and_close(running, leader, desk, seq=7, boot="b-2")
            assert second != first
            # far below the newest seq of a closed alarm: a restart, even without a new boot id
            await _raise_and_close(running, leader, desk, seq=500, boot="b-2")
            fourth = await _raise_and_close(running, leader, desk, seq=7, boot="b-2")
            assert fourth not in (first, second)
            async with httpx.AsyncClient(base_url=running.base) as http:
                got = await http.get("/api/v1/offices/demo/coverage", headers=HEADERS)
                alarms = (await http.get("/api/v1/alarms", headers=HEADERS)).json()
        reasons = got.json()["reasons"]
        assert any(f"{desk} (" in r and "counter went backwards" in r for r in reasons)
        assert len(alarms) == 4 and all(a["status"] == "resolved" for a in alarms)
    finally:
        forget_session(settings)


async def test_a_retained_press_never_alarms(tmp_path: Path) -> None:
    broker = require_mosquitto()
    config, desk, _worn = tagged_office(tmp_path, uuid.uuid4().hex[:8])
    topic = f"rollekort/v1/trigger/{desk}"
    payload = json.dumps({"event": "press", "seq": 3}).encode()
    await asyncio.to_thread(publish, broker, topic, payload, retain=True)
    settings = settings_for(broker, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", config=config)
    try:
        async with service(settings) as running, Handset.connect(running, "demo-leader") as leader:
            await leader.expect("welcome")
            async with httpx.AsyncClient(base_url=running.base) as http:
                for _ in range(100):  # until the retained copy has been read and rejected
                    metrics = (await http.get("/metrics")).text
                    if 'rollekort_mqtt_rejected_total{reason="retained"}' in metrics:
                        break
                    await asyncio.sleep(0.1)
                assert 'rollekort_mqtt_rejected_total{reason="retained"} 1.0' in metrics
                assert (await http.get("/api/v1/alarms", headers=HEADERS)).json() == []
            # a live press of the same device still alarms
            await _press(broker, desk, seq=4)
            await leader.expect("alarm", trigger__device_id=desk, offer__role_id="leader")
    finally:
        await asyncio.to_thread(publish, broker, topic, b"", retain=True)  # clear it
        forget_session(settings)
