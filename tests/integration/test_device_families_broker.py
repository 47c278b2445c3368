"""Recorded family payloads through real brokers: Mosquitto on 127.0.0.1:1883 (skipped with a
reason when absent) and the embedded amqtt broker on a free port. A listener subscribes with the
catalogue's filters, as the service does, and every message is decoded as it arrives.

What a broker adds to the unit tests: the retain flag as brokers really set it (retained on a new
subscription, cleared on live delivery of a message published retained), wildcard filters, and
the same press on two topics arriving in order. Topics carry a per-test tag; retained topics are
cleared afterwards, since Mosquitto is shared.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.embedded import EmbeddedBroker
from app.adapters.mqtt.ingest import BrokerAddress
from devices.catalogue import Catalogue, DeviceRef
from devices.families import DeviceSignal, Ignored, Press, Release, Status
from simulator import button
from tests.conftest import MOSQUITTO, free_port, reachable


@dataclass
class Seen:
    device_id: str
    topic: str
    retained: bool
    signals: list[DeviceSignal]


@dataclass
class Listener:
    """A paho subscriber that decodes each message with the catalogue when it arrives."""

    url: str
    catalogue: Catalogue
    client_id: str = field(default_factory=lambda: f"test-fam-{uuid.uuid4().hex[:10]}")
    persistent: bool = False
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def start(self) -> None:
        address = BrokerAddress.parse(self.url)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=not self.persistent,
        )
        subscribed = threading.Event()
        filters = [(f, 1) for f in self.catalogue.subscriptions()]
        self.client.on_connect = lambda client, *_: client.subscribe(filters)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        await asyncio.to_thread(self.client.connect, address.host, address.port)
        self.client.loop_start()
        await until(subscribed.is_set, "the SUBACK")  # the embedded broker runs on this loop

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = datetime.now(UTC)
        with self._lock:
            for ref, signals in self.catalogue.decode(msg.topic, msg.payload, msg.retain, now):
                self.seen.append(Seen(ref.device_id, msg.topic, bool(msg.retain), signals))

    def presses(self, device_id: str | None = None) -> list[Press]:
        with self._lock:
            return [
                s
                for seen in self.seen
                if device_id in (None, seen.device_id)
                for s in seen.signals
                if isinstance(s, Press)
            ]

    def count(self) -> int:
        with self._lock:
            return len(self.seen)


async def until(check: Callable[[], bool], what: str, within_s: float = 10.0) -> None:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within_s, f"not within {within_s} s: {what}"
        await asyncio.sleep(0.02)


@pytest.fixture(params=["embedded", "mosquitto"])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "embedded":
        broker = EmbeddedBroker("127.0.0.1", free_port())
        await broker.start()
        yield broker.url
        await broker.stop()
        return
    if not reachable(MOSQUITTO):
        pytest.skip("Mosquitto not reachable on 127.0.0.1:1883 (the embedded broker variant ran)")
    yield "mqtt://127.0.0.1:1883"


class Devices:
    """One device of every family, on topics of this test only."""

    def __init__(self, url: str) -> None:
        self.url = url
        tag = uuid.uuid4().hex[:8]
        self.z2m = f"zigbee2mqtt/Resepsjon SOS {tag}"
        self.tasmota = f"panic_{tag}"
        self.gen1 = f"shellies/shellybutton1-{tag}"
        self.gen2 = f"shellyplusi4-{tag}"
        self.esphome = f"resepsjon-{tag}"
        self.refs = [
            DeviceRef("z2m", "zigbee2mqtt", self.z2m),
            DeviceRef("tasmota", "tasmota", f"{self.tasmota}#1"),
            DeviceRef("gen1", "shelly", self.gen1),
            DeviceRef("gen2", "shelly", f"{self.gen2}#0"),
            DeviceRef("esphome", "esphome", f"{self.esphome}#panic_button"),
        ]
        self.retained_topics: set[str] = set()

    async def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        if retain:
            self.retained_topics.add(topic)
        await asyncio.to_thread(button.publish, self.url, topic, payload.encode(), retain=retain)

    async def clear(self) -> None:
        for topic in self.retained_topics:
            await asyncio.to_thread(button.publish, self.url, topic, b"", retain=True)


@pytest.fixture
async def devices(broker_url: str) -> AsyncIterator[Devices]:
    d = Devices(broker_url)
    yield d
    await d.clear()


async def test_presses_once_and_retained_replays_never_alarm(devices: Devices) -> None:
    d = devices
    # What the devices left retained before we ever subscribed: the state of the last press.
    await d.publish(d.z2m, '{"action":"emergency","battery":100,"linkquality":18}', retain=True)
    await d.publish(f"tele/{d.tasmota}/LWT", "Online", retain=True)
    await d.publish(f"{d.gen1}/input_event/0", '{"event":"S","event_cnt":3}', retain=True)
    await d.publish(f"{d.gen1}/online", "true", retain=True)
    await d.publish(f"{d.esphome}/binary_sensor/panic_button/state", "OFF", retain=True)
    await d.publish(f"{d.esphome}/status", "online", retain=True)

    listener = Listener(d.url, Catalogue(d.refs))
    await listener.start()
    try:
        await until(lambda: listener.count() >= 6, "six retained messages replayed")
        assert all(s.retained for s in listener.seen)
        assert listener.presses() == []
        statuses = [x for s in listener.seen for x in s.signals if isinstance(x, Status)]
        assert Status(online=True) in statuses and Status(battery=100) in statuses

        # Live presses, each with its follow-ups, second topics and repeats.
        await d.publish(d.z2m, '{"action":"emergency","battery":100,"linkquality":18}')
        await d.publish(d.z2m, '{"action":"","battery":100,"linkquality":18}')
        await d.publish(f"{d.z2m}/action", "emergency")
        await d.publish(f"stat/{d.tasmota}/RESULT", '{"Button1":{"Action":"HOLD"}}')
        await d.publish(f"stat/{d.tasmota}/RESULT", '{"Button1":{"Action":"CLEAR"}}')
        await d.publish(f"stat/{d.tasmota}/RESULT", '{"Button2":{"Action":"SINGLE"}}')
        for _ in range(3):  # the Button1 repeats one event
            await d.publish(f"{d.gen1}/input_event/0", '{"event":"S","event_cnt":4}')
        events = [
            {"component": "input:0", "id": 0, "event": "btn_up", "ts": 1700000000.41},
            {"component": "input:0", "id": 0, "event": "single_push", "ts": 1700000000.50},
        ]
        notify = {"src": d.gen2, "dst": f"{d.gen2}/events", "method": "NotifyEvent"}
        event = json.dumps({**notify, "params": {"ts": 1700000000.50, "events": events}})
        await d.publish(f"{d.gen2}/events/rpc", event)
        await d.publish(f"{d.gen2}/events/rpc", event)  # redelivered
        esphome_state = f"{d.esphome}/binary_sensor/panic_button/state"
        await d.publish(esphome_state, "ON", retain=True)  # as ESPHome publishes
        await d.publish(esphome_state, "OFF", retain=True)
        await d.publish(esphome_state, "ON", retain=True)  # pressed again, still held

        await until(lambda: listener.count() >= 6 + 14, "the live messages")
        live = listener.seen[6:]
        assert not any(s.retained for s in live), "a live message arrived flagged retained"
        for device in ("z2m", "tasmota", "gen1", "gen2"):
            keys = {p.dedupe_key for p in listener.presses(device)}
            assert len(keys) == 1, f"{device}: {len(keys)} presses"
        assert {p.gesture for p in listener.presses("tasmota")} == {"hold"}
        esphome_keys = {p.dedupe_key for p in listener.presses("esphome")}
        assert len(esphome_keys) == 2, "two OFF->ON changes are two presses"
        released = {x.action for s in live for x in s.signals if isinstance(x, Release)}
        assert {"CLEAR", "btn_up", "OFF"} <= released
        ignored = {x.reason for s in live for x in s.signals if isinstance(x, Ignored)}
        assert {"empty_action", "other_button"} <= ignored
    finally:
        listener.stop()

    # Reconnect with a new subscription: every retained topic is replayed, nothing alarms.
    again = Listener(d.url, Catalogue(d.refs))
    await again.start()
    try:
        await until(lambda: again.count() >= 6, "retained messages replayed again")
        await asyncio.sleep(0.5)
        assert all(s.retained for s in again.seen)
        assert again.presses() == []
        replayed = {x.reason for s in again.seen for x in s.signals if isinstance(x, Ignored)}
        assert "retained_on" in replayed, "the held ESPHome button is replayed, not pressed"
    finally:
        again.stop()


async def test_a_press_queued_while_away_is_not_hidden_by_its_retained_copy(
    devices: Devices,
) -> None:
    """ESPHome publishes states retained (QoS 1 when configured so). A press while the service is
    away is queued for its persistent session and also left retained; on the reconnect both
    arrive (the service subscribes again on every connect). The queued copy is live: an alarm."""
    d = devices
    state = f"{d.esphome}/binary_sensor/panic_button/state"
    client_id = f"test-fam-{uuid.uuid4().hex[:10]}"
    await d.publish(state, "OFF", retain=True)
    first = Listener(d.url, Catalogue(d.refs), client_id=client_id, persistent=True)
    await first.start()
    try:
        await until(lambda: first.count() >= 1, "the retained OFF")
        assert first.presses() == []
    finally:
        first.stop()

    await d.publish(state, "ON", retain=True)  # pressed while the service is away
    await d.publish(f"{d.gen1}/input_event/0", '{"event":"L","event_cnt":9}', retain=True)

    back = Listener(d.url, Catalogue(d.refs), client_id=client_id, persistent=True)
    await back.start()
    try:
        await until(lambda: len(back.presses()) >= 2, "both queued presses")
        await asyncio.sleep(0.5)
        assert {p.dedupe_key.split(":")[0] for p in back.presses()} == {"esph", "sh1"}
        assert len(back.presses()) == 2
        flags = [s.retained for s in back.seen if s.topic == state]  # in arrival order
        assert flags[0] is False and True in flags, "the queued copy, then the retained one"
    finally:
        back.stop()
        await asyncio.to_thread(forget_session, d.url, client_id)


def forget_session(url: str, client_id: str) -> None:
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect(address.host, address.port)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


async def test_a_tasmota_with_its_topic_first_is_heard_where_it_publishes(broker_url: str) -> None:
    """FullTopic `%topic%/%prefix%/`: the device publishes `<topic>/stat/RESULT`; the catalogue
    subscribes there, and a press at the default layout's place is not this device's."""
    tag = uuid.uuid4().hex[:8]
    topic = f"tasmota_{tag}"
    catalogue = Catalogue([DeviceRef("desk", "tasmota", f"{topic}#1", "%topic%/%prefix%/")])
    listener = Listener(broker_url, catalogue)
    await listener.start()
    publish = button.publish
    try:
        await asyncio.to_thread(publish, broker_url, f"{topic}/tele/LWT", b"Online")
        press = b'{"Button1":{"Action":"SINGLE"}}'
        await asyncio.to_thread(publish, broker_url, f"stat/{topic}/RESULT", press)  # elsewhere
        await asyncio.to_thread(publish, broker_url, f"{topic}/stat/RESULT", press)
        await asyncio.to_thread(publish, broker_url, f"{topic}/stat/RESULT", press)  # repeated
        await until(lambda: listener.count() >= 3, "the LWT and both presses")
        await asyncio.sleep(0.3)
        assert [s.topic for s in listener.seen] == [
            f"{topic}/tele/LWT",
            *[f"{topic}/stat/RESULT"] * 2,
        ]
        assert listener.seen[0].signals == [Status(online=True)]
        presses = listener.presses("desk")
        assert len(presses) == 2 and len({p.dedupe_key for p in presses}) == 1
    finally:
        listener.stop()
