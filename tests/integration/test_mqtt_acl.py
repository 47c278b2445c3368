"""Who may publish what, enforced by real brokers: the files `rollekort mqtt acl` writes, loaded by
a private Mosquitto, and the same rules in the embedded broker. A device cannot raise an alarm on
another device's topic: the broker drops the publish, so the service never sees it.

A refused publish is dropped without an error (Mosquitto with MQTT 3.1.1, and amqtt), so "not
delivered" is shown by a sentinel: device A publishes on B's topic, then on its own; when the
service has the second message, the first would have arrived before it (same client, same QoS).
"""

from __future__ import annotations

import asyncio
import getpass
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from app.adapters.mqtt.embedded import EmbeddedBroker
from app.cli import cli
from app.config.mqtt_access import access_of, check_password
from app.config.schema import OfficeFile
from devices.topics import trigger_topic
from simulator.button import press
from tests.conftest import DEMO_OFFICE, free_port, reachable

MOSQUITTO_BIN = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWORDS = {"svc": "svc-pass", "dev-a": "pass-a", "dev-b": "pass-b"}


def office_with_accounts(tmp: Path) -> Path:
    """The demo office (native desk-1 and worn-1) with one account per device."""
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["mqtt"] = {
        "service": {"username": "svc", "password": PASSWORDS["svc"]},
        "clients": [
            {"username": "dev-a", "password": PASSWORDS["dev-a"], "devices": ["desk-1"]},
            {"username": "dev-b", "password": PASSWORDS["dev-b"], "devices": ["worn-1"]},
        ],
    }
    path = tmp / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def url(port: int, user: str, password: str | None = None) -> str:
    return f"mqtt://{user}:{password or PASSWORDS[user]}@127.0.0.1:{port}"


class Service:
    """A paho subscriber logged in as the service, collecting (topic, payload) as they come."""

    def __init__(self, port: int, user: str = "svc") -> None:
        self.got: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex}")
        self.client.username_pw_set(user, PASSWORDS[user])
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe("rollekort/v1/trigger/+", qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._on_message
        self.port = port

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.got.append((msg.topic, msg.payload))

    def start(self) -> None:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self.subscribed.wait(5), "no SUBACK"

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def topics(self) -> list[str]:
        with self.lock:
            return [t for t, _ in self.got]


def wait_for(check: Any, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def login_refused(port: int, user: str, password: str) -> bool:
    """True when the broker answers CONNECT with a refusal."""
    result: list[Any] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex}")
    client.username_pw_set(user, password)

    def on_connect(c: mqtt.Client, u: Any, flags: Any, reason: Any, props: Any) -> None:
        result.append(reason)
        done.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *_: done.set()
    try:
        client.connect("127.0.0.1", port)
    except OSError:
        return True
    client.loop_start()
    done.wait(5)
    client.disconnect()
    client.loop_stop()
    return not result or result[0].is_failure


def check_rules(port: int) -> None:
    """The three promises, against whichever broker listens on `port`."""
    service = Service(port)
    service.start()
    try:
        press(url(port, "dev-a"), "desk-1")
        wait_for(lambda: trigger_topic("desk-1") in service.topics())
        service.got.clear()
        press(url(port, "dev-a"), "worn-1")  # A forges a press of B's device: dropped
        press(url(port, "dev-a"), "desk-1")  # the sentinel
        wait_for(lambda: trigger_topic("desk-1") in service.topics())
        assert trigger_topic("worn-1") not in service.topics()
        press(url(port, "dev-b"), "worn-1")  # B's own press still goes through
        wait_for(lambda: trigger_topic("worn-1") in service.topics())
    finally:
        service.stop()
    assert login_refused(port, "dev-a", "wrong")
    assert login_refused(port, "nobody", "pass-a")
    assert not login_refused(port, "dev-a", PASSWORDS["dev-a"])


def test_acl_command_writes_mosquitto_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["mqtt", "acl", "--config", str(office_with_accounts(tmp_path)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    hashes = dict(line.split(":", 1) for line in (out / "passwords").read_text().splitlines())
    # the service's feedback publisher signs in as svc-feedback, with the service's password
    assert set(hashes) == {*PASSWORDS, "svc-feedback"}
    passwords = {**PASSWORDS, "svc-feedback": PASSWORDS["svc"]}
    assert all(check_password(passwords[u], h) for u, h in hashes.items())
    acl = (out / "acl").read_text()
    assert "user dev-a\ntopic write rollekort/v1/trigger/desk-1\n" in acl
    assert "topic read rollekort/v1/trigger/+" in acl


@pytest.fixture
def acl_mosquitto(tmp_path: Path) -> Iterator[int]:
    if not Path(MOSQUITTO_BIN).exists():
        pytest.skip("mosquitto binary not installed")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["mqtt", "acl", "--config", str(office_with_accounts(tmp_path)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
        f"password_file {out / 'passwords'}\nacl_file {out / 'acl'}\nlog_dest none\n"
        f"user {getpass.getuser()}\n"  # as root, mosquitto would switch user and lose tmp_path
    )
    proc = subprocess.Popen([MOSQUITTO_BIN, "-c", str(conf)])
    try:
        deadline = time.monotonic() + 5
        while not reachable(("127.0.0.1", port)):
            assert proc.poll() is None, "mosquitto exited: see its output"
            assert time.monotonic() < deadline, "private mosquitto did not start"
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(5)


def test_mosquitto_enforces_the_generated_acl(acl_mosquitto: int) -> None:
    check_rules(acl_mosquitto)


@pytest.fixture
async def acl_embedded(tmp_path: Path) -> AsyncIterator[int]:
    data = yaml.safe_load(office_with_accounts(tmp_path).read_text())
    broker = EmbeddedBroker(port=free_port(), access=access_of([OfficeFile.model_validate(data)]))
    await broker.start()
    try:
        yield broker.port
    finally:
        await broker.stop()


async def test_embedded_broker_enforces_the_same_rules(acl_embedded: int) -> None:
    await asyncio.to_thread(check_rules, acl_embedded)


async def test_embedded_broker_without_accounts_admits_loopback_as_before() -> None:
    broker = EmbeddedBroker(port=free_port())
    await broker.start()
    try:
        await asyncio.to_thread(press, broker.url, "worn-1")
    finally:
        await broker.stop()
